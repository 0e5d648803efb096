// Routes. Only the chat list ships in the first-route bundle; every other screen is a
// lazy chunk (precached by the service worker, so it still opens offline).
import { ErrorBoundary, LocationProvider, Route, Router, lazy, useLocation } from "preact-iso";
import { useEffect } from "preact/hooks";
import { Chats } from "./screens/chats";
import { me } from "./state/session";
import { NetBanner, TabBar } from "./ui/chrome";
import { VerifyNotice } from "./screens/verify-notice";

const Conversation = lazy(() => import("./screens/conversation"));
const Contacts = lazy(() => import("./screens/contacts"));
const Me = lazy(() => import("./screens/me"));
const SignIn = lazy(() => import("./screens/sign-in"));
const SignUp = lazy(() => import("./screens/sign-up"));
const NewGroup = lazy(() => import("./screens/new-group"));
const GroupInfo = lazy(() => import("./screens/group-info"));
const Accounts = lazy(() => import("./screens/accounts"));
const AddAccount = lazy(() => import("./screens/accounts").then((m) => m.AddAccount));
// Issue 14: broadcast, people, search, quiet hours, the delivery timeline.
const Broadcast = lazy(() => import("./screens/broadcast"));
const BroadcastCard = lazy(() => import("./screens/broadcast-card"));
const People = lazy(() => import("./screens/people"));
const PersonView = lazy(() => import("./screens/person"));
const Search = lazy(() => import("./screens/search"));
const NotifySettings = lazy(() => import("./screens/notify-settings"));
const JumpToMessage = lazy(() => import("./chat/jump-to-message").then((m) => m.JumpToMessage));
const VerifyPhone = lazy(() => import("./screens/verify-phone"));
const Social = lazy(() => import("./screens/social"));
const Compose = lazy(() => import("./screens/social-compose"));
const Mail = lazy(() => import("./screens/mail"));
const MailRead = lazy(() => import("./screens/mail-read"));
const MailCompose = lazy(() => import("./screens/mail-compose"));

/** Warms the other screens' chunks once the first screen is up, so taps never wait on the network. */
export function preloadScreens(): void {
  void import("./screens/conversation");
  void import("./screens/contacts");
  void import("./screens/me");
  void import("./screens/new-group");
  void import("./screens/group-info");
  void import("./screens/accounts");
  void import("./screens/social");
  void import("./screens/mail");
  void import("./screens/broadcast");
  void import("./screens/search");
}

export function App() {
  return (
    <LocationProvider>
      <ErrorBoundary>
        {me.value ? <SignedIn /> : <SignedOut />}
      </ErrorBoundary>
    </LocationProvider>
  );
}

function SignedOut() {
  const { path, route } = useLocation();
  useEffect(() => {
    if (path !== "/signin" && path !== "/signup") route("/signin", true);
  }, [path]);
  return (
    <Router>
      <Route path="/signup" component={SignUp} />
      <Route default component={SignIn} />
    </Router>
  );
}

function SignedIn() {
  const { path, route } = useLocation();
  const unverified = me.value?.phoneVerified === false;
  useEffect(() => {
    // Just signed up (or in with a number nobody has proved yet): the code screen first.
    if (path === "/signin" || path === "/signup") route(unverified ? "/verify" : "/", true);
  }, [path]);
  const inChat = path.startsWith("/chat/") || path.startsWith("/group") || path === "/verify" || path === "/compose";
  return (
    <div class={inChat ? "shell in-chat" : "shell"}>
      <NetBanner />
      {unverified && path !== "/verify" && <VerifyNotice />}
      <main class="main">
        <Router>
          <Route path="/" component={Chats} />
          <Route path="/chat/:conv" component={Conversation} />
          <Route path="/contacts" component={Contacts} />
          <Route path="/me" component={Me} />
          <Route path="/groups/new" component={NewGroup} />
          <Route path="/group/:id" component={GroupInfo} />
          <Route path="/accounts" component={Accounts} />
          <Route path="/accounts/new" component={AddAccount} />
          <Route path="/broadcast" component={Broadcast} />
          <Route path="/broadcast/:id" component={BroadcastCard} />
          <Route path="/people" component={People} />
          <Route path="/person/:id" component={PersonView} />
          <Route path="/search" component={Search} />
          <Route path="/settings/notify" component={NotifySettings} />
          <Route path="/verify" component={VerifyPhone} />
          <Route path="/social" component={Social} />
          <Route path="/compose" component={Compose} />
          <Route path="/mail" component={Mail} />
          <Route path="/mail/new" component={MailCompose} />
          <Route path="/mail/:id" component={MailRead} />
          <Route default component={Chats} />
        </Router>
      </main>
      {inChat && path.startsWith("/chat/") && <JumpToMessage />}
      {!inChat && <TabBar />}
    </div>
  );
}
