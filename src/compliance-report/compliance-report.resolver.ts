import { Args, Ctx, Mutation, Query, Resolver } from "type-graphql";
import { Permission } from "../auth/permissions";
import { Auth } from "../graphql/auth";
import type { GraphQLContext } from "../graphql/context";
import { ComplianceReportService } from "./compliance-report.service";
import { ComplianceReportArgs, ComplianceReportDownloadType, ComplianceReportType } from "./compliance-report.types";

@Resolver()
export class ComplianceReportResolver {
  constructor(private readonly reports: ComplianceReportService) {}

  @Auth(Permission.ReadComplianceReport)
  @Query(() => ComplianceReportType, { description: "Calls, pauses, late pauses, redactions, deletions, downloads and legal holds in [from, to)." })
  async complianceReport(@Args(() => ComplianceReportArgs) args: ComplianceReportArgs): Promise<ComplianceReportType> {
    return this.reports.report(args.from, args.to);
  }

  @Auth(Permission.ReadComplianceReport)
  @Mutation(() => ComplianceReportDownloadType, { description: "A signed link to the same report as CSV." })
  createComplianceReportDownload(@Args(() => ComplianceReportArgs) args: ComplianceReportArgs, @Ctx() ctx: GraphQLContext): ComplianceReportDownloadType {
    return this.reports.issueCsvLink(ctx.viewer!, args.from, args.to);
  }
}
