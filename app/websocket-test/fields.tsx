'use client';
/**
 * The form fields the Subscribe and Publish panels share: a one-line protocol value (the channel
 * name among them), and a JSON editor with ready-made samples.
 */
import type { ReactNode } from 'react';
import { submitOnCtrlEnter } from './ui';

export interface ChannelFieldProps {
  value: string;
  onChange: (channel: string) => void;
  invalid: boolean;
  name?: string;
  testId: string;
  /** Shown under the input, e.g. why the name is refused. */
  children?: ReactNode;
}

/** A channel name, suggested from the `tester-channels` list the Subscribe panel renders. */
export function ChannelField({ value, onChange, invalid, name, testId, children }: ChannelFieldProps) {
  return (
    <TextField label="Channel" value={value} onChange={onChange} invalid={invalid} name={name} testId={testId} list="tester-channels">
      {children}
    </TextField>
  );
}

export interface TextFieldProps {
  label: string;
  value: string;
  onChange: (text: string) => void;
  invalid: boolean;
  name?: string;
  testId: string;
  placeholder?: string;
  /** The id of a datalist whose options are suggested while typing. */
  list?: string;
  inputMode?: 'numeric';
  /** A control beside the input (e.g. a button that fills it in). */
  action?: ReactNode;
  /** Shown under the input. */
  children?: ReactNode;
}

/**
 * A labelled one-line monospace input for a protocol value, checked as it is typed.
 *
 * @example <TextField label="View" value={view} onChange={setView} invalid={!ok} name="view" testId="subscribe-view" />
 */
export function TextField({ label, value, onChange, invalid, name, testId, placeholder, list, inputMode, action, children }: TextFieldProps) {
  const input = (
    <input
      className="pb-input pb-mono"
      value={value}
      onChange={(e) => onChange(e.target.value)}
      placeholder={placeholder}
      list={list}
      inputMode={inputMode}
      name={name}
      spellCheck={false}
      aria-invalid={invalid}
      data-testid={testId}
    />
  );
  return (
    <label className="pb-field">
      <span className="pb-label">{label}</span>
      {action ? (
        <span className="pb-tester-inline">
          {input}
          {action}
        </span>
      ) : (
        input
      )}
      {children}
    </label>
  );
}

/** A ready-made value offered by the JSON editor's select. */
export interface JsonSample {
  label: string;
  value: unknown;
}

export interface JsonFieldProps {
  /** The textarea's id, which the label points at. */
  id: string;
  label: ReactNode;
  /** The JSON text as typed. */
  value: string;
  onChange: (text: string) => void;
  samples: readonly JsonSample[];
  /** The select's accessible name. */
  samplesLabel: string;
  /** The select's first, disabled option. */
  samplesPlaceholder: string;
  invalid: boolean;
  /** The id of the element that explains the text's verdict, if there is one. */
  describedBy?: string;
  testId: string;
  /** Shown under the textarea: the error or the check. */
  children?: ReactNode;
}

/**
 * A label, a select that puts one of the samples into the text (pretty-printed), the textarea
 * (Ctrl+Enter submits its form), and under it whatever the form says about the text.
 */
export function JsonField({
  id,
  label,
  value,
  onChange,
  samples,
  samplesLabel,
  samplesPlaceholder,
  invalid,
  describedBy,
  testId,
  children,
}: JsonFieldProps) {
  return (
    <div className="pb-field">
      <div className="pb-tester-label-row">
        <label className="pb-label" htmlFor={id}>
          {label}
        </label>
        <select
          className="pb-select pb-tester-mini-select"
          aria-label={samplesLabel}
          value=""
          onChange={(e) => {
            const sample = samples[Number(e.target.value)];
            if (sample) onChange(JSON.stringify(sample.value, null, 2));
          }}
        >
          <option value="" disabled>
            {samplesPlaceholder}
          </option>
          {samples.map((sample, i) => (
            <option key={sample.label} value={i}>
              {sample.label}
            </option>
          ))}
        </select>
      </div>
      <textarea
        id={id}
        className="pb-textarea"
        rows={7}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={submitOnCtrlEnter}
        spellCheck={false}
        aria-invalid={invalid}
        aria-describedby={describedBy}
        data-testid={testId}
      />
      {children}
    </div>
  );
}
