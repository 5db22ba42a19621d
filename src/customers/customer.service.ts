import { DataSource } from "typeorm";
import { AuditAction } from "../audit/audit-action";
import { AuditService } from "../audit/audit.service";
import type { Viewer } from "../auth/viewer";
import { badInput, notFound } from "../common/errors";
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

  /** Customers whose name contains `search` (case-insensitive), by name; all of them when it is empty. */
  async search(search: string, limit: number): Promise<CustomerEntity[]> {
    const term = search.trim();
    if (term.length > 200) throw badInput("search must be at most 200 characters", "search");
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw badInput("first must be from 1 to 100", "first");
    // "!" escapes LIKE's wildcards the same way on MySQL/MariaDB and SQLite (backslash is not portable).
    const pattern = `%${term.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%`;
    const query = this.dataSource.getRepository(CustomerEntity).createQueryBuilder("customer");
    if (term) query.where("LOWER(customer.name) LIKE :pattern ESCAPE '!'", { pattern });
    return query.orderBy("customer.name", "ASC").addOrderBy("customer.id", "ASC").take(limit).getMany();
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
