/**
 * The right panel's top border, with the pane tabs in it: `╭─ 1 Log ─ 2 Console ─ … ─╮`.
 * Drawing the tabs into the border saves a row (and keeps the layout arithmetic simple).
 */
import {Text} from 'ink';
import {memo} from 'react';
import {displayWidth, truncate} from './format.js';
import type {PaneId} from './types.js';

export const PANE_TITLES: Record<PaneId, string> = {log: 'Log', console: 'Console', sections: 'Sections', info: 'Info', preseed: 'Preseed'};
const ORDER: readonly PaneId[] = ['log', 'console', 'sections', 'info', 'preseed'];

export interface TabsProps {
  active: PaneId;
  width: number;
  /** The pane has the keyboard focus (the border is highlighted). */
  focused: boolean;
  /** Extra text at the right end (e.g. the Log pane's mode). */
  extra?: string;
}

export const Tabs = memo(function Tabs({active, width, focused, extra}: TabsProps) {
  const border = focused ? 'green' : 'gray';
  const inner = Math.max(0, width - 2);
  const parts: {text: string; active: boolean}[] = [];
  let used = 1;
  // The extra text (the Console's view, say) keeps its room: inactive tabs shrink to numbers
  // first, all of them, when the full labels and the extra do not fit together.
  const widthOf = (short: boolean): number => 1 + ORDER.reduce((n, p, i) => n + displayWidth(p === active || !short ? ` ${i + 1} ${PANE_TITLES[p]} ` : ` ${i + 1} `) + 1, 0);
  const allShort = !!extra && widthOf(false) + displayWidth(extra) + 2 > inner;
  for (const [i, pane] of ORDER.entries()) {
    const label = ` ${i + 1} ${PANE_TITLES[pane]} `;
    // Narrow terminals: the tab number is enough for inactive tabs.
    const short = ` ${i + 1} `;
    const text = pane === active || (!allShort && used + displayWidth(label) + 1 <= inner - 2) ? label : short;
    if (used + displayWidth(text) + 1 > inner) break;
    parts.push({text, active: pane === active});
    used += displayWidth(text) + 1;
  }
  const tail = extra ? truncate(` ${extra} `, Math.max(0, inner - used - 1)) : '';
  const fill = Math.max(0, inner - used - displayWidth(tail));
  return (
    <Text wrap="truncate-end">
      <Text color={border}>╭─</Text>
      {parts.map((p, i) => (
        <Text key={i}>
          {p.active ? (
            <Text bold inverse color={focused ? 'green' : undefined}>
              {p.text}
            </Text>
          ) : (
            <Text color="gray">{p.text}</Text>
          )}
          <Text color={border}>─</Text>
        </Text>
      ))}
      <Text color={border}>{'─'.repeat(fill)}</Text>
      {tail ? <Text color="gray">{tail}</Text> : null}
      <Text color={border}>╮</Text>
    </Text>
  );
});
