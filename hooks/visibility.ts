'use client';
/**
 * Whether anyone can see what a view shows (docs/protocol.md §12, "Pausing"): the page, through
 * `document.visibilityState`, and an element, through an `IntersectionObserver`. The watchers
 * are plain functions over small interfaces, so they run (and are tested) without React or a
 * DOM; `useOffscreen` binds the element watcher to a component.
 *
 * Both wait before they report "unseen" (a tab switched for a moment, a panel scrolled past
 * should not cost an unsubscribe and a resubscribe) and report "seen" at once.
 */
import { useEffect, useState, type RefObject } from 'react';
import { usePulse } from './usePulse';

/** The part of `document` the page watcher reads. */
export interface VisibilitySource {
  readonly visibilityState: string;
  addEventListener(type: 'visibilitychange', listener: () => void): void;
  removeEventListener(type: 'visibilitychange', listener: () => void): void;
}

/** One observation of an element, as `IntersectionObserverEntry` has it. */
export interface IntersectionLike {
  readonly isIntersecting: boolean;
}

/** The part of `IntersectionObserver` the element watcher uses. */
export interface IntersectionObserverLike {
  observe(element: Element): void;
  disconnect(): void;
}

export type IntersectionObserverConstructor = new (callback: (entries: readonly IntersectionLike[]) => void) => IntersectionObserverLike;

/**
 * Calls `onHidden(true)` once the page has stayed hidden for `afterMs`, and `onHidden(false)`
 * as soon as it is visible again (changes only). Returns the disposer.
 *
 * @example
 * const stop = watchHiddenPage(document, 30_000, (hidden) => binder.setSuspended(hidden));
 */
export function watchHiddenPage(source: VisibilitySource, afterMs: number, onHidden: (hidden: boolean) => void): () => void {
  let hidden = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const check = () => {
    if (source.visibilityState === 'hidden') {
      if (hidden || timer !== undefined) return;
      timer = setTimeout(() => {
        timer = undefined;
        hidden = true;
        onHidden(true);
      }, afterMs);
      return;
    }
    clearTimeout(timer);
    timer = undefined;
    if (!hidden) return;
    hidden = false;
    onHidden(false);
  };
  source.addEventListener('visibilitychange', check);
  check();
  return () => {
    source.removeEventListener('visibilitychange', check);
    clearTimeout(timer);
  };
}

/**
 * Calls `onOffscreen(true)` once `element` has stayed out of the viewport for `afterMs`, and
 * `onOffscreen(false)` as soon as any of it is back in (changes only). Without an
 * `IntersectionObserver` (a server, an old browser) the element always counts as seen.
 * Returns the disposer.
 */
export function watchOffscreen(
  element: Element,
  afterMs: number,
  onOffscreen: (offscreen: boolean) => void,
  Observer: IntersectionObserverConstructor | undefined = (globalThis as { IntersectionObserver?: IntersectionObserverConstructor }).IntersectionObserver,
): () => void {
  if (typeof Observer !== 'function') return () => {};
  let offscreen = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const observer = new Observer((entries) => {
    const latest = entries[entries.length - 1];
    if (!latest) return;
    if (latest.isIntersecting) {
      clearTimeout(timer);
      timer = undefined;
      if (!offscreen) return;
      offscreen = false;
      onOffscreen(false);
      return;
    }
    if (offscreen || timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      offscreen = true;
      onOffscreen(true);
    }, afterMs);
  });
  observer.observe(element);
  return () => {
    clearTimeout(timer);
    observer.disconnect();
  };
}

/**
 * True while the element `ref` points to has been out of the viewport for the provider's
 * `pauseOffscreenAfterMs`. The element is the one mounted with the component; without a ref
 * (or an element) it is never offscreen.
 */
export function useOffscreen(ref: RefObject<Element | null> | undefined): boolean {
  const { pauseOffscreenAfterMs } = usePulse();
  const [offscreen, setOffscreen] = useState(false);
  useEffect(() => {
    const element = ref?.current;
    if (!element) return;
    const stop = watchOffscreen(element, pauseOffscreenAfterMs, setOffscreen);
    return () => {
      stop();
      setOffscreen(false);
    };
  }, [ref, pauseOffscreenAfterMs]);
  return offscreen;
}
