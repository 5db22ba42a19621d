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
