/**
 * The frame of every dashboard section: the panel kit's card (a title, optional context,
 * actions, and a badge saying how fresh the section's data is).
 */
export { PanelCard as Panel, type PanelCardProps as PanelProps } from '@/components/panels/PanelFrame';
