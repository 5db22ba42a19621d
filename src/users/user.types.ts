import { ArrayMaxSize, IsEmail, MaxLength, MinLength } from "class-validator";
import { Field, ID, InputType, ObjectType } from "type-graphql";
import { GraphQLISODateTime } from "type-graphql";
import { Role } from "../auth/role";

@ObjectType("User")
export class UserType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  email!: string;

  @Field(() => String)
  displayName!: string;

  @Field(() => GraphQLISODateTime)
  createdAt!: Date;
}

@InputType()
export class CreateUserInput {
  @Field(() => String)
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @Field(() => String)
  @MinLength(1)
  @MaxLength(200)
  displayName!: string;

  @Field(() => [Role], { defaultValue: [] })
  @ArrayMaxSize(5)
  roles!: Role[];
}

@ObjectType("IssuedApiToken", { description: "An API token for HTTP Basic (e-mail + token); the token is shown only in this answer." })
export class IssuedApiTokenType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  userId!: string;

  @Field(() => String)
  label!: string;

  @Field(() => GraphQLISODateTime)
  createdAt!: Date;

  @Field(() => String, { description: "Keep it secret: only its SHA-256 is stored, it cannot be shown again." })
  token!: string;
}
