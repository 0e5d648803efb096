import { t } from "../i18n";
import type { Body } from "../state/types";
import { isNativeSource } from "../../../core/conversation";
import { splitQuote } from "./quote";

/** One line of text for a message body, for lists and notifications. */
export function previewOf(body: Body): string {
  switch (body.type) {
    case "text":
      return splitQuote(body.text).rest;
    case "location":
      return body.label ? `${t("body.location")} · ${body.label}` : t("body.location");
    case "email":
      return t("body.email", { subject: body.subject });
    default: {
      const kind = body.type === "image" ? t("body.picture") : body.type === "audio" ? t("body.voice") : body.type === "video" ? t("body.video") : t("body.media");
      return body.caption ? `${kind} · ${body.caption}` : kind;
    }
  }
}

/** The badge text for a source: a catalogue name for known ones, the raw name otherwise. */
export function sourceName(source: string): string {
  return isNativeSource(source) ? t("source.unibox") : source;
}
