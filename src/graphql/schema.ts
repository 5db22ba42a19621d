import "reflect-metadata";
import "./enums";
import { GraphQLSchema } from "graphql";
import { buildSchema, ContainerType, NonEmptyArray } from "type-graphql";
import { AuditCheckpointResolver } from "../audit/audit-checkpoint.resolver";
import { AuditResolver } from "../audit/audit.resolver";
import { CallResolver } from "../calls/call.resolver";
import { ComplianceReportResolver } from "../compliance-report/compliance-report.resolver";
import { CustomerResolver } from "../customers/customer.resolver";
import { DownloadResolver } from "../downloads/download.resolver";
import { LegalHoldResolver, RecordingLegalHoldsResolver } from "../legal-holds/legal-hold.resolver";
import { RecordingSubscriptionResolver } from "../recordings/recording-subscription.resolver";
import { RecordingResolver } from "../recordings/recording.resolver";
import { RedactionResolver } from "../redaction/redaction.resolver";
import { RetentionResolver } from "../retention/retention.resolver";
import { TimelineResolver } from "../timeline/timeline.resolver";
import { UserResolver } from "../users/user.resolver";
import { RoleAuthChecker } from "./auth";
import { withAuthDirective } from "./auth-directive";
import { validateArguments } from "./validate-arguments";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Constructor = new (...args: any[]) => object;

export const RESOLVERS: NonEmptyArray<Constructor> = [
  UserResolver,
  CustomerResolver,
  CallResolver,
  RecordingResolver,
  RedactionResolver,
  RecordingSubscriptionResolver,
  TimelineResolver,
  AuditResolver,
  DownloadResolver,
  LegalHoldResolver,
  RecordingLegalHoldsResolver,
  AuditCheckpointResolver,
  RetentionResolver,
  ComplianceReportResolver,
];

/** Resolver instances built by the composition root; type-graphql asks this container for them. */
export class ResolverContainer implements ContainerType {
  private readonly instances = new Map<Function, object>();

  register(instance: object): this {
    this.instances.set(instance.constructor, instance);
    return this;
  }

  get(someClass: Function): object {
    const instance = this.instances.get(someClass) ?? (someClass === RoleAuthChecker ? new RoleAuthChecker() : undefined);
    if (!instance) throw new Error(`no instance registered for ${someClass.name}`);
    return instance;
  }
}

/** Every subscription supplies its own `subscribe` (snapshot first, then ordered events), so this is never used. */
const NO_TOPIC_PUBSUB = {
  publish(): void {
    throw new Error("publish through the EventBus, not type-graphql's pubSub");
  },
  subscribe(): AsyncIterable<unknown> {
    throw new Error("subscriptions use their own subscribe function");
  },
};

export async function buildCallvaultSchema(container: ContainerType): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: RESOLVERS,
    container,
    authChecker: RoleAuthChecker,
    authMode: "error",
    validateFn: validateArguments,
    pubSub: NO_TOPIC_PUBSUB,
  });
  return withAuthDirective(schema);
}
