import { DataSource } from "typeorm";
import { AuditAction } from "../audit/audit-action";
import { AuditService } from "../audit/audit.service";
import type { Viewer } from "../auth/viewer";
import { notFound } from "../common/errors";
import { newId } from "../common/ids";
import { TransactionRunner } from "../database/transaction";
import { CustomerEntity } from "./customer.entity";
import { requireVisibleText } from "../common/reason";

export class CustomerService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: TransactionRunner,
    private readonly audit: AuditService,
  ) {}

  async get(id: string): Promise<CustomerEntity> {
    const customer = await this.dataSource.getRepository(CustomerEntity).findOne({ where: { id } });
    if (!customer) throw notFound("Customer", id);
    return customer;
  }

  async create(actor: Viewer | undefined, requestId: string, name: string): Promise<CustomerEntity> {
    const trimmed = requireVisibleText(name, { field: "name", max: 200, requiredFor: "for a customer" });
    return this.transactions.run(async (uow) => {
      const customer = uow.manager.create(CustomerEntity, { id: newId(), name: trimmed, createdAt: new Date() });
      await uow.manager.insert(CustomerEntity, customer);
      await this.audit.append(uow, {
        actor,
        action: AuditAction.CUSTOMER_CREATED,
        targetType: "CUSTOMER",
        targetId: customer.id,
        details: { name: trimmed },
        requestId,
      });
      return customer;
    });
  }
}
