// What a bubble shows for each body type: text (a reply's quote, tappable links), a
// picture thumbnail that opens full size, a voice player with the clip's length, an
// inline video player, a location card, a file link.
import { useSignal } from "@preact/signals";
import { useEffect, useMemo, useRef } from "preact/hooks";
import { t } from "../i18n";
import type { Body, OutboxItem } from "../state/types";
import { cancelUpload, uploads } from "../state/uploads";
import { previewOf } from "../ui/preview";
import { LocationCard } from "./location-card";
import { RichText, linkify } from "./rich-text";
import { mediaUrl, thumbnailUrl } from "./thumbnail";
import { Viewer } from "./viewer";
import { VoiceClip } from "./voice-clip";

export function MessageBody({ body, item }: { body: Body; item?: OutboxItem }) {
  switch (body.type) {
    case "text":
      return <RichText text={body.text} />;
    case "location":
      return <LocationCard lat={body.lat} lng={body.lng} accuracy={body.accuracy} label={body.label} />;
    case "image":
    case "audio":
    case "video":
    case "file":
      return (
        <>
          {item && !body.media ? <LocalMedia item={item} /> : <SentMedia body={body} item={item} />}
          {body.caption && <p class="text caption">{linkify(body.caption)}</p>}
          {item && <UploadStatus item={item} />}
        </>
      );
    default:
      return <p class="text">{previewOf(body)}</p>;
  }
}

type MediaBody = Extract<Body, { media: string }>;

function SentMedia({ body, item }: { body: MediaBody; item?: OutboxItem }) {
  const src = mediaUrl(body.media);
  if (body.type === "image") return item?.thumb ? <LocalImage blob={item.thumb} /> : <ImageThumb id={body.media} />;
  if (body.type === "audio") return <VoiceClip src={src} />;
  if (body.type === "video") return <video class="clip-video" controls playsInline preload="metadata" src={src} aria-label={t("media.video")} />;
  return <a class="file-link" href={src} download>{t("media.file")}</a>;
}

/** A picture or clip that is still on this device: shown from its own bytes. */
function LocalMedia({ item }: { item: OutboxItem }) {
  const blob = item.thumb ?? item.upload?.blob;
  if (!blob) return null;
  if (item.body.type === "image") return <LocalImage blob={blob} />;
  return <LocalClip blob={blob} kind={item.body.type === "audio" ? "audio" : "video"} />;
}

function useObjectUrl(blob: Blob): string | undefined {
  const url = useMemo(() => (typeof URL.createObjectURL === "function" ? URL.createObjectURL(blob) : undefined), [blob]);
  useEffect(() => () => url && URL.revokeObjectURL(url), [url]);
  return url;
}

function LocalImage({ blob }: { blob: Blob }) {
  const url = useObjectUrl(blob);
  return url ? <img class="thumb" src={url} alt={t("media.picture")} /> : <span class="thumb placeholder" role="img" aria-label={t("media.picture")} />;
}

function LocalClip({ blob, kind }: { blob: Blob; kind: "audio" | "video" }) {
  const url = useObjectUrl(blob);
  if (!url) return null;
  return kind === "audio"
    ? <VoiceClip src={url} />
    : <video class="clip-video" controls playsInline preload="metadata" src={url} aria-label={t("media.video")} />;
}

/** A sent picture: scaled on this device once it is near the screen; tap for the full size. */
function ImageThumb({ id }: { id: string }) {
  const url = useSignal<string | null>(null);
  const failed = useSignal(false);
  const open = useSignal(false);
  const box = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let gone = false;
    const load = () => thumbnailUrl(id).then((u) => !gone && (url.value = u)).catch(() => !gone && (failed.value = true));
    if (typeof IntersectionObserver === "undefined") {
      void load();
      return () => void (gone = true);
    }
    const io = new IntersectionObserver((entries) => {
      if (!entries.some((e) => e.isIntersecting)) return;
      io.disconnect();
      void load();
    }, { rootMargin: "300px" });
    io.observe(el);
    return () => {
      gone = true;
      io.disconnect();
    };
  }, [id]);
  return (
    <>
      <button type="button" ref={box} class="thumb-button" onClick={() => (open.value = true)} aria-label={t("media.openPicture")} data-media={id}>
        {url.value ? <img class="thumb" src={url.value} alt="" /> : <span class="thumb placeholder">{failed.value ? t("media.unavailable") : ""}</span>}
      </button>
      {open.value && <Viewer src={mediaUrl(id)} name={`unibox-${id}`} onClose={() => (open.value = false)} />}
    </>
  );
}

/** Progress of an upload with its cancel button; "waiting" when the network is away. */
function UploadStatus({ item }: { item: OutboxItem }) {
  const p = uploads.value.get(item.id);
  if (!item.upload || item.error) return null;
  const pct = p && p.total > 0 ? Math.round((100 * p.loaded) / p.total) : 0;
  return (
    <span class="upload" data-upload={p?.state ?? "queued"}>
      {p?.state === "uploading" ? (
        <progress max={100} value={pct} aria-label={t("media.uploading", { pct })} />
      ) : (
        <span class="muted">{t("media.waiting")}</span>
      )}
      <button type="button" class="link" onClick={() => void cancelUpload(item.id)}>{t("media.cancel")}</button>
    </span>
  );
}
