import { t } from "../i18n";
import type { Body } from "../state/types";

/** One line of text for a message body, for lists and notifications. */
export function previewOf(body: Body): string {
  switch (body.type) {
    case "text":
      return body.text;
    case "location":
      return body.label ? `${t("body.location")} · ${body.label}` : t("body.location");
    case "email":
      return t("body.email", { subject: body.subject });
    default:
      return body.caption ? `${t("body.media")} · ${body.caption}` : t("body.media");
  }
}

/** The badge text for a source: a catalogue name for known ones, the raw name otherwise. */
export function sourceName(source: string): string {
  return source === "unibox" ? t("source.unibox") : source;
}
