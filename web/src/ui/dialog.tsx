import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

/** A modal on the native <dialog>: focus moves into it, Escape closes it, focus returns to where it was. */
export function Dialog({ title, onClose, children }: { title: string; onClose: () => void; children: ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    ref.current?.showModal();
    return () => opener?.focus();
  }, []);
  const titleId = `dialog-${title.replace(/\W+/g, "-").toLowerCase()}`;
  return (
    <dialog ref={ref} aria-labelledby={titleId} onClose={onClose} onCancel={(event) => { event.preventDefault(); onClose(); }}>
      <h2 id={titleId}>{title}</h2>
      {children}
    </dialog>
  );
}

/** A dialog form's error line and its Cancel / submit buttons. */
export function DialogFooter({ error, onCancel, submit, danger = false }: { error?: string; onCancel: () => void; submit: string; danger?: boolean }) {
  return (
    <>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <div class="actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" class={danger ? "danger" : undefined}>
          {submit}
        </button>
      </div>
    </>
  );
}
