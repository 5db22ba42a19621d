import type { SubscribeResolverData } from "type-graphql";
import { DomainError } from "../common/errors";
import { toGraphQLError } from "./errors";

type SubscribeFn = (data: SubscribeResolverData<unknown, Record<string, unknown>, unknown>) => Promise<AsyncIterable<unknown>>;

/** type-graphql's middlewares wrap `resolve`, not `subscribe`: map domain errors for subscribe here. */
export function mapDomainErrors(subscribe: SubscribeFn): SubscribeFn {
  return async (data) => {
    try {
      return await subscribe(data);
    } catch (error) {
      if (error instanceof DomainError) throw toGraphQLError(error);
      throw error;
    }
  };
}
