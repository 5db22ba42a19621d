import { MaxLength, MinLength } from "class-validator";
import { Field, GraphQLISODateTime, ID, InputType, ObjectType } from "type-graphql";

@ObjectType("Customer")
export class CustomerType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => GraphQLISODateTime)
  createdAt!: Date;
}

@InputType()
export class CreateCustomerInput {
  @Field(() => String)
  @MinLength(1)
  @MaxLength(200)
  name!: string;
}
