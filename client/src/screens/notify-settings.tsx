// Quiet hours and mute, kept by the hub so they hold for every source (native, groups,
// bound networks, mail, social): at night pushes wait and one summary comes in the morning;
// messages arrive in the app as always.
import "../inbox/inbox.css";
import { failText } from "../inbox/labels";
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { formatTime, t } from "../i18n";
import { deviceTimeZone, loadNotifySettings, muteEverything, notifySettings, setQuietHours } from "../state/notify";
import { Icon } from "../ui/icons";

const MUTE_CHOICES = [1, 8, 24] as const;

export default function NotifySettings() {
  const error = useSignal("");
  const start = useSignal("22:00");
  const end = useSignal("07:00");
  const tz = useSignal(deviceTimeZone());
  useEffect(() => {
    void loadNotifySettings()
      .then((s) => {
        if (s.quiet) [start.value, end.value, tz.value] = [s.quiet.start, s.quiet.end, s.quiet.tz];
      })
      .catch((err) => (error.value = failText(err)));
  }, []);
  const run = (fn: () => Promise<void>) => async () => {
    error.value = "";
    try {
      await fn();
    } catch (err) {
      error.value = failText(err);
    }
  };
  const s = notifySettings.value;
  const on = !!s?.quiet;
  return (
    <section class="screen" aria-labelledby="notify-title">
      <header class="topbar conv-top">
        <a href="/me" class="icon-button" aria-label={t("conv.back")}><Icon name="back" /></a>
        <h1 id="notify-title">{t("notify.title")}</h1>
      </header>
      <div class="scroll">
        <section class="card form" aria-labelledby="quiet-title">
          <h2 id="quiet-title">{t("notify.quiet")}</h2>
          <p class="hint">{t("notify.quietHint")}</p>
          <div class="field-row">
            <div class="field">
              <label for="quiet-start">{t("notify.from")}</label>
              <input id="quiet-start" type="time" value={start.value} onInput={(e) => (start.value = e.currentTarget.value)} />
            </div>
            <div class="field">
              <label for="quiet-end">{t("notify.until")}</label>
              <input id="quiet-end" type="time" value={end.value} onInput={(e) => (end.value = e.currentTarget.value)} />
            </div>
          </div>
          <div class="field">
            <label for="quiet-tz">{t("notify.zone")}</label>
            <input id="quiet-tz" value={tz.value} onInput={(e) => (tz.value = e.currentTarget.value)} />
          </div>
          <div class="sheet-actions">
            {on && <button type="button" class="button" onClick={run(() => setQuietHours(null))}>{t("notify.quietOff")}</button>}
            <button type="button" class="button primary" data-save-quiet onClick={run(() => setQuietHours({ start: start.value, end: end.value, tz: tz.value.trim() }))}>
              {t(on ? "notify.quietSave" : "notify.quietOn")}
            </button>
          </div>
          {on && <p class="muted" data-quiet-on>{t("notify.quietIs", { start: s!.quiet!.start, end: s!.quiet!.end, tz: s!.quiet!.tz })}</p>}
        </section>
        <section class="card form" aria-labelledby="mute-title">
          <h2 id="mute-title">{t("notify.muteAll")}</h2>
          {s?.muteAllUntil ? (
            <>
              <p data-muted-until>{t("notify.mutedUntil", { time: formatTime(s.muteAllUntil) })}</p>
              <button type="button" class="button" onClick={run(() => muteEverything(null))}>{t("notify.unmute")}</button>
            </>
          ) : (
            <div class="chips" role="group" aria-label={t("notify.muteAll")}>
              {MUTE_CHOICES.map((h) => (
                <button key={h} type="button" class="chip" onClick={run(() => muteEverything(Date.now() + h * 3_600_000))}>{t("notify.forHours", { n: h })}</button>
              ))}
            </div>
          )}
        </section>
        {error.value && <p class="field-error" role="alert">{error.value}</p>}
      </div>
    </section>
  );
}
