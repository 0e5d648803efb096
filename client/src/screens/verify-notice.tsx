// A line above every screen while the account's number is not verified (just signed up
// and skipped the code, or someone else proved the number since): until then nobody
// can find the account by it.
import { t } from "../i18n";

export function VerifyNotice() {
  return (
    <div class="verify-notice" role="status">
      <span>{t("verify.notice")}</span>
      <a href="/verify" class="button small">{t("verify.noticeAction")}</a>
    </div>
  );
}
