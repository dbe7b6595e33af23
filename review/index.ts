/**
 * moat review: the security rules over synthesized Terraform JSON (cdk.tf.json) and plan JSON.
 * A plain library: it imports nothing from cdktf, so it keeps working on any tool that writes
 * Terraform JSON (cdktf, CDK Terrain, hand-written).
 */
export { review, runRules } from "./engine";
export type { ReviewInput, ReviewResult, StackReview } from "./engine";
export { diffReviews } from "./diff";
export type { AddedOpening, AttributeChange, ResourceChange, ReviewDiff, StackChange } from "./diff";
export { isBlocking } from "./finding";
export type { Finding, FindingStatus } from "./finding";
export { discoverStackFiles, loadStackFile, parseStackText } from "./load";
export { loadCdktfJson } from "./load-cdktf";
export { loadPlanJson } from "./load-plan";
export { ReviewModel } from "./model";
export type { Resource, SourceLocation } from "./model";
export { MOAT_PACK } from "./pack";
export type { ReviewContext, RuleDefinition, Severity, Violation } from "./rule";
export { loadSuppressionFile, validateSuppressions } from "./suppressions";
export type { Suppression } from "./suppressions";
export { contextFromEnvironment, contextFromFlags, environmentForStack, suppressionsFromEnvironment } from "./environment-context";
export { reviewSession } from "./review-session";
export type { ReviewSessionOptions } from "./review-session";
export { renderReport, REPORT_FORMATS } from "./report";
export { writeReport } from "./report/write-report";
export type { ReportFormat, ReportInput } from "./report";
export { reachability } from "./reachability";
export type { Flow, GraphEdge, GraphNode, Layer, NodeKind, ReachabilityGraph } from "./reachability";
export { GRAPH_FORMATS, renderGraphs } from "./report/graph";
export type { GraphFormat } from "./report/graph";
export { ROLE_TAG, Role } from "../core/tags";
