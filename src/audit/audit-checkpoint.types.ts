import { Max, Min } from "class-validator";
import { ArgsType, Field, GraphQLISODateTime, Int, ObjectType } from "type-graphql";

@ObjectType("AuditCheckpoint", { description: "A signed statement of the chain's head: copy these out of the system to prove later that no entry was removed." })
export class AuditCheckpointType {
  @Field(() => Int, { description: "The number of entries in the chain when signed (the head's position)." })
  position!: number;

  @Field(() => String, { description: "The head entry's hash." })
  hash!: string;

  @Field(() => GraphQLISODateTime)
  signedAt!: Date;

  @Field(() => String, { description: '"Ed25519".' })
  algorithm!: string;

  @Field(() => String, { description: "Fingerprint of the public key: first 16 hex digits of its SHA-256." })
  keyId!: string;

  @Field(() => String, { description: "Base64url signature over the position, hash and signedAt." })
  signature!: string;

  @Field(() => String, { description: "The Ed25519 public key (base64 of 32 bytes) that verifies the signature." })
  publicKey!: string;
}

@ArgsType()
export class AuditCheckpointsArgs {
  @Field(() => Int, { defaultValue: 20 })
  @Min(1)
  @Max(200)
  first!: number;

  @Field(() => Int, { nullable: true, description: "Checkpoints before this position (for paging)." })
  @Min(1)
  beforePosition?: number;
}
