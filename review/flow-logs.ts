import { derived, Resource, ReviewModel } from "./model";

/** Flow logs of the stack with where they write: CloudWatch Logs (the default) or S3. */
export const flowLogs = derived(
  (model: ReviewModel): readonly { log: Resource; store: "cloudwatch" | "s3" | "other" | "unknown"; target: Resource | undefined }[] =>
    model.ofType("aws_flow_log").map((log) => {
      const type = log.attributes.log_destination_type ?? "cloud-watch-logs";
      const store = type === "cloud-watch-logs" ? "cloudwatch" : type === "s3" ? "s3" : typeof type === "string" ? "other" : "unknown";
      const target = model.target(log.attributes.log_destination) ?? model.target(log.attributes.log_group_name);
      return { log, store, target };
    }),
);
