// The UserHub's own SQLite, one store per table family. Every method is synchronous:
// between two awaits in the hub nothing else runs, so a sequence of these calls is atomic
// (Durable Object input/output gates).
import { AccountStore } from "./accounts";
import { BroadcastStore } from "./broadcasts";
import { ConversationStore } from "./conversations";
import { FriendStore } from "./friends";
import { GroupStore } from "./groups";
import { EventLog } from "./log";
import { MailStore } from "./mail";
import { OwnMediaStore } from "./media";
import { MessageStore } from "./messages";
import { MetaStore } from "./meta";
import { OutboxStore } from "./outbox";
import { PostStore } from "./posts";
import { PushSubStore } from "./push-subs";
import { NotifyStore } from "./notify";
import { PeopleStore } from "./people";
import { SearchStore } from "./search";
import { StepStore } from "./steps";
import { migrate } from "./schema";
import { SendOptionStore } from "./send-options";
import { SendStore } from "./sends";
import { TimerStore } from "./timers";

export class HubStore {
  readonly meta: MetaStore;
  readonly log: EventLog;
  readonly messages: MessageStore;
  readonly conversations: ConversationStore;
  readonly sends: SendStore;
  readonly friends: FriendStore;
  readonly pushSubs: PushSubStore;
  readonly media: OwnMediaStore;
  readonly groups: GroupStore;
  readonly outbox: OutboxStore;
  readonly timers: TimerStore;
  readonly accounts: AccountStore;
  readonly posts: PostStore;
  readonly broadcasts: BroadcastStore;
  readonly sendOptions: SendOptionStore;
  readonly mail: MailStore;
  readonly people: PeopleStore;
  readonly search: SearchStore;
  readonly steps: StepStore;
  readonly notify: NotifyStore;

  constructor(sql: SqlStorage) {
    migrate(sql);
    this.meta = new MetaStore(sql);
    this.log = new EventLog(sql, this.meta);
    this.search = new SearchStore(sql);
    this.messages = new MessageStore(sql, this.search);
    this.conversations = new ConversationStore(sql);
    this.sends = new SendStore(sql);
    this.friends = new FriendStore(sql);
    this.pushSubs = new PushSubStore(sql);
    this.media = new OwnMediaStore(sql);
    this.groups = new GroupStore(sql);
    this.outbox = new OutboxStore(sql);
    this.timers = new TimerStore(sql);
    this.accounts = new AccountStore(sql);
    this.posts = new PostStore(sql);
    this.sendOptions = new SendOptionStore(sql);
    this.broadcasts = new BroadcastStore(sql);
    this.mail = new MailStore(sql);
    this.people = new PeopleStore(sql);
    this.steps = new StepStore(sql);
    this.notify = new NotifyStore(sql, this.meta);
  }
}

export type { PushSub } from "./push-subs";
export type { StoredMessage } from "./messages";
