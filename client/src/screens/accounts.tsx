// Me → Accounts: the accounts the user bound, each with its live state and what to do about
// it, adding one (a form per network, built from the server's schema), and removing one.
import { signal } from "@preact/signals";
import { useLocation } from "preact-iso";
import { useEffect, useState } from "preact/hooks";
import { type MessageKey, t } from "../i18n";
import { en } from "../i18n/en";
import { errorText } from "../i18n/errors";
import { accounts, accountsLoaded, bindAccount, type JsonSchema, type NetworkForm, networkForms, reenterCredentials, refreshAccounts, removeAccount } from "../state/accounts";
import { ApiFailure } from "../state/api";
import type { Account } from "../state/types";
import { NETWORKS, networkName, SECRET_FIELDS } from "../ui/networks";

const forms = signal<NetworkForm[] | null>(null);

export default function Accounts() {
  useEffect(() => {
    void refreshAccounts().catch(() => undefined);
  }, []);
  const { route } = useLocation();
  return (
    <section class="screen" aria-labelledby="accounts-title">
      <header class="topbar">
        <a class="icon-button" href="/me" aria-label={t("accounts.back")}>‹</a>
        <h1 id="accounts-title">{t("accounts.title")}</h1>
      </header>
      <div class="scroll">
        {!accountsLoaded.value ? <p class="hint">{t("accounts.loading")}</p> : accounts.value.length === 0 ? <p class="empty">{t("accounts.empty")}</p> : null}
        <ul class="list accounts" aria-label={t("accounts.title")}>
          {accounts.value.map((a) => <AccountCard key={a.id} account={a} />)}
        </ul>
        <button type="button" class="button primary wide" onClick={() => route("/accounts/new")}>{t("accounts.add")}</button>
      </div>
    </section>
  );
}

function AccountCard({ account }: { account: Account }) {
  const [confirming, setConfirming] = useState(false);
  const [reentering, setReentering] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const remove = async () => {
    try {
      await removeAccount(account.id);
    } catch (err) {
      setError(err instanceof ApiFailure ? errorText(err) : String(err));
    }
  };
  return (
    <li class="card account" data-account={account.id} data-state={account.state}>
      <div class="account-head">
        <span class="source-badge" data-network={account.network}>{NETWORKS[account.network]?.badge ?? account.network}</span>
        <div>
          <h2>{account.label}</h2>
          <p class="hint">{account.remote}</p>
        </div>
      </div>
      <p class="account-state" role="status">
        <span class="state-dot" data-state={account.state} aria-hidden="true" />
        {t(`accounts.state.${account.state}` as MessageKey)} · {account.message}
      </p>
      {account.action && <p class="hint">{account.action}</p>}
      {error && <p class="field-error">{error}</p>}
      <div class="account-actions">
        {account.state === "bad_credentials" && (
          <button type="button" class="button small" onClick={() => setReentering(!reentering)}>{t("accounts.reenter")}</button>
        )}
        {confirming ? (
          <>
            <span class="hint">{t("accounts.removeConfirm")}</span>
            <button type="button" class="button small danger" onClick={() => void remove()}>{t("accounts.removeYes")}</button>
            <button type="button" class="button small" onClick={() => setConfirming(false)}>{t("accounts.cancel")}</button>
          </>
        ) : (
          <button type="button" class="button small danger" onClick={() => setConfirming(true)}>{t("accounts.remove")}</button>
        )}
      </div>
      {reentering && <Reenter account={account} done={() => setReentering(false)} />}
    </li>
  );
}

function Reenter({ account, done }: { account: Account; done: () => void }) {
  const form = useForms().find((f) => f.network === account.network);
  if (!form) return null;
  return <CredentialsForm network={account.network} schema={form.credentials} submitLabel={t("accounts.save")} onSubmit={(creds) => reenterCredentials(account.id, creds).then(done)} />;
}

function useForms(): NetworkForm[] {
  useEffect(() => {
    if (!forms.value) void networkForms().then((f) => (forms.value = f)).catch(() => undefined);
  }, []);
  return forms.value ?? [];
}

/** /accounts/new: pick a network, then its form. */
export function AddAccount() {
  const { route } = useLocation();
  const available = useForms();
  const [network, setNetwork] = useState<string | null>(null);
  const [label, setLabel] = useState("");
  const form = available.find((f) => f.network === network);
  return (
    <section class="screen" aria-labelledby="add-account-title">
      <header class="topbar">
        <a class="icon-button" href="/accounts" aria-label={t("accounts.back")}>‹</a>
        <h1 id="add-account-title">{t("accounts.add")}</h1>
      </header>
      <div class="scroll">
        <fieldset class="card networks">
          <legend>{t("accounts.pickNetwork")}</legend>
          {available.map((f) => (
            <label key={f.network} class="segment">
              <input type="radio" name="network" value={f.network} checked={network === f.network} onChange={() => setNetwork(f.network)} />
              <span>{networkName(f.network)}</span>
            </label>
          ))}
        </fieldset>
        {network && noteFor(network) && <p class="card hint network-note">{noteFor(network)}</p>}
        {form && (
          <>
            <div class="field">
              <label for="account-label">{t("accounts.label")}</label>
              <input id="account-label" value={label} onInput={(e) => setLabel(e.currentTarget.value)} placeholder={networkName(form.network)} />
            </div>
            <CredentialsForm
              key={form.network}
              network={form.network}
              schema={form.credentials}
              submitLabel={t("accounts.bind")}
              onSubmit={async (creds) => {
                await bindAccount(form.network as Account["network"], creds, label);
                route("/accounts");
              }}
            />
          </>
        )}
      </div>
    </section>
  );
}

function noteFor(network: string): string | null {
  const key = `accounts.note.${network}`;
  return key in en ? t(key as MessageKey) : null;
}

/** A form from a JSON Schema of credential fields: text, secrets, numbers, switches, lists, nested groups. */
function CredentialsForm({ network, schema, submitLabel, onSubmit }: { network: string; schema: JsonSchema; submitLabel: string; onSubmit: (c: Record<string, unknown>) => Promise<void> }) {
  const [values, setValues] = useState<Record<string, unknown>>(() => defaults(schema));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiFailure | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onSubmit(values);
    } catch (err) {
      setError(err instanceof ApiFailure ? err : new ApiFailure(0, "network", String(err)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card credentials" onSubmit={(e) => void submit(e)} aria-busy={busy}>
      <Fields schema={schema} path={[]} values={values} onChange={setValues} error={error} network={network} />
      {error && (
        <p class="field-error" role="alert">
          {errorText(error)}
          {error.code !== "invalid_input" && error.message && error.message !== errorText(error) ? ` (${error.message})` : ""}
        </p>
      )}
      <button type="submit" class="button primary wide" disabled={busy}>{busy ? t("accounts.checking") : submitLabel}</button>
    </form>
  );
}

function Fields({ schema, path, values, onChange, error, network }: { schema: JsonSchema; path: string[]; values: Record<string, unknown>; onChange: (v: Record<string, unknown>) => void; error: ApiFailure | null; network: string }) {
  const required = new Set(schema.required ?? []);
  return (
    <>
      {Object.entries(schema.properties ?? {}).map(([name, field]) => {
        const here = [...path, name];
        const id = `cred-${network}-${here.join("-")}`;
        const value = getIn(values, here);
        const set = (v: unknown) => onChange(setIn(values, here, v));
        const label = fieldLabel(name) + (required.has(name) ? "" : ` ${t("accounts.optional")}`);
        const fieldError = error?.field(`credentials.${here.join(".")}`) ?? (error?.message.startsWith(`${here.join(".")}:`) ? error.message : undefined);
        if (field.type === "object") {
          return (
            <fieldset key={name} class="subfields">
              <legend>{fieldLabel(name)}</legend>
              <Fields schema={field} path={here} values={values} onChange={onChange} error={error} network={network} />
            </fieldset>
          );
        }
        if (field.type === "boolean") {
          return (
            <label key={name} class="switch-row" for={id}>
              <span>{label}</span>
              <input id={id} type="checkbox" checked={value === true} onChange={(e) => set(e.currentTarget.checked)} />
            </label>
          );
        }
        if (field.enum) {
          return (
            <div key={name} class="field">
              <label for={id}>{label}</label>
              <select id={id} value={String(value ?? "")} onChange={(e) => set(e.currentTarget.value)}>
                {field.enum.map((o) => <option key={String(o)} value={String(o)}>{String(o)}</option>)}
              </select>
            </div>
          );
        }
        const isList = field.type === "array";
        const isNumber = field.type === "integer" || field.type === "number";
        const secret = SECRET_FIELDS.has(name);
        return (
          <div key={name} class="field">
            <label for={id}>{label}</label>
            <input
              id={id}
              type={(secret ? "password" : isNumber ? "number" : "text") as "text"}
              inputMode={isNumber ? "numeric" : undefined}
              autoComplete={secret ? "current-password" : "off"}
              autoCapitalize="none"
              spellcheck={false}
              required={required.has(name)}
              value={isList ? ((value as string[] | undefined) ?? []).join(", ") : value === undefined ? "" : String(value)}
              onInput={(e) => {
                const raw = e.currentTarget.value;
                set(isList ? raw.split(",").map((x) => x.trim()).filter(Boolean) : isNumber ? (raw === "" ? undefined : Number(raw)) : raw === "" ? undefined : raw);
              }}
              aria-invalid={fieldError ? true : undefined}
            />
            {isList && <p class="hint">{t("accounts.listHint")}</p>}
            {fieldError && <p class="field-error">{fieldError}</p>}
          </div>
        );
      })}
    </>
  );
}

function fieldLabel(name: string): string {
  const key = `accounts.field.${name}`;
  return key in en ? t(key as MessageKey) : name;
}

function defaults(schema: JsonSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    if (field.default !== undefined) out[name] = field.default;
    else if (field.type === "object") out[name] = defaults(field);
  }
  return out;
}

function getIn(o: Record<string, unknown>, path: string[]): unknown {
  return path.reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), o);
}

function setIn(o: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
  const [head, ...rest] = path;
  const next = { ...o };
  if (rest.length === 0) {
    if (value === undefined) delete next[head!];
    else next[head!] = value;
  } else next[head!] = setIn((o[head!] as Record<string, unknown>) ?? {}, rest, value);
  return next;
}
