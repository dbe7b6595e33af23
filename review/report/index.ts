import { renderJson } from "./json";
import { renderMarkdown } from "./markdown";
import { ReportInput } from "./report-input";
import { renderSarif } from "./sarif";
import { renderText } from "./text";

export const REPORT_FORMATS = ["text", "markdown", "json", "sarif"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

const RENDERERS: Record<ReportFormat, (input: ReportInput) => string> = {
  text: renderText,
  markdown: renderMarkdown,
  json: renderJson,
  sarif: renderSarif,
};

export function renderReport(format: ReportFormat, input: ReportInput): string {
  return RENDERERS[format](input);
}

export type { ReportInput };
