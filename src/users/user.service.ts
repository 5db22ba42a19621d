import { DataSource, In } from "typeorm";
import { AuditAction } from "../audit/audit-action";
import { AuditService } from "../audit/audit.service";
import { ALL_ROLES, Role } from "../auth/role";
import type { Viewer } from "../auth/viewer";
import { badInput, notFound } from "../common/errors";
import { isUuid, newId } from "../common/ids";
import { isUniqueViolation } from "../database/errors";
import { TransactionRunner } from "../database/transaction";
import type { EventBus } from "../events/event-bus";
import { UserRoleEntity } from "./user-role.entity";
import { UserEntity } from "./user.entity";
import { ViewerCache } from "./viewer-cache";
import { ViewerLoader } from "./viewer-loader";
import { requireVisibleText } from "../common/reason";

export interface NewUser {
  email: string;
  displayName: string;
  roles: Role[];
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface UserServiceOptions {
  /** How long a viewer read for one request may answer the user's later ones (role changes drop it at once). */
  viewerCacheMs: number;
}

export class UserService {
  /** The database reads behind `cachedViewers` (and `viewerByReference`), batched per event-loop turn. */
  private readonly viewers: ViewerLoader;
  private readonly cachedViewers: ViewerCache;
  /** Role changes this instance published and waits to receive back from the bus, by user. */
  private readonly awaitingEcho = new Map<string, Set<() => void>>();
  /** Role changes whose publish failed, published again until it goes through: by user, the next try and until when. */
  private readonly republishing = new Map<string, { timer: NodeJS.Timeout; untilMs: number }>();
  private readonly viewerCacheMs: number;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: TransactionRunner,
    private readonly audit: AuditService,
    private readonly bus: EventBus,
    options: UserServiceOptions,
  ) {
    this.viewers = new ViewerLoader(dataSource);
    this.viewerCacheMs = options.viewerCacheMs;
    this.cachedViewers = new ViewerCache((userId) => this.viewers.load(userId), { ttlMs: options.viewerCacheMs });
  }

  /** Keeps the viewer cache in step with role changes made by any instance; before the first request. */
  async start(): Promise<void> {
    await this.bus.watch("USER_ROLES_CHANGED", {
      event: ({ userId }) => {
        this.cachedViewers.forget(userId);
        for (const echoed of this.awaitingEcho.get(userId) ?? []) echoed();
      },
      gap: (open) => (open ? this.cachedViewers.suspend() : this.cachedViewers.resume()),
    });
  }

  /** Before the bus closes: role changes still being published again are given up. */
  stop(): void {
    this.stopped = true;
    for (const { timer } of this.republishing.values()) clearTimeout(timer);
    this.republishing.clear();
  }

  /**
   * The user and the roles they hold now, for a request or a socket. A role change applies to the user's next
   * request: this instance forgets its copy before the change is answered, the others as the change reaches them.
   */
  async loadViewer(userId: string): Promise<Viewer | undefined> {
    return this.cachedViewers.get(userId);
  }

  /**
   * Drops this instance's copy, publishes the change and waits until it comes back through the bus. Redis writes
   * a message to every subscribed instance in the same pass, so once this instance has it, the others' copies are
   * on their way out before the change is answered and anyone can make the next request.
   */
  private async announceRoleChange(userId: string): Promise<void> {
    this.cachedViewers.forget(userId);
    let timer: NodeJS.Timeout | undefined;
    let echoed!: () => void;
    const echo = new Promise<void>((resolve) => (echoed = resolve));
    const waiting = this.awaitingEcho.get(userId) ?? this.awaitingEcho.set(userId, new Set()).get(userId)!;
    waiting.add(echoed);
    try {
      await this.bus.publish("USER_ROLES_CHANGED", { userId }).catch((error) => {
        // The other instances may still hold a copy read before the change: told as soon as the bus takes it.
        this.republish(userId, Date.now() + this.viewerCacheMs, FIRST_REPUBLISH_MS);
        throw error;
      });
      await Promise.race([echo, new Promise<void>((resolve) => (timer = setTimeout(resolve, ECHO_WAIT_MS)))]);
    } finally {
      clearTimeout(timer);
      waiting.delete(echoed);
      if (waiting.size === 0) this.awaitingEcho.delete(userId);
    }
  }

  /**
   * Publishes a role change again, backing off, until the bus takes it or `untilMs`: by then every copy read
   * before the change has aged out (VIEWER_CACHE_SECONDS), so the event has nothing left to correct.
   */
  private republish(userId: string, untilMs: number, delayMs: number): void {
    const pending = this.republishing.get(userId);
    if (pending) clearTimeout(pending.timer);
    const until = Math.max(untilMs, pending?.untilMs ?? 0);
    if (this.stopped || Date.now() >= until) return void this.republishing.delete(userId);
    const timer = setTimeout(() => {
      this.republishing.delete(userId);
      this.bus.publish("USER_ROLES_CHANGED", { userId }).catch(() => this.republish(userId, until, Math.min(delayMs * 2, MAX_REPUBLISH_MS)));
    }, delayMs);
    timer.unref();
    this.republishing.set(userId, { timer, untilMs: until });
  }

  async findById(id: string): Promise<UserEntity | null> {
    return this.dataSource.getRepository(UserEntity).findOne({ where: { id } });
  }

  /** Accepts an id or an email address, as the platform's REST API does. */
  async findByReference(reference: string): Promise<UserEntity | null> {
    const repo = this.dataSource.getRepository(UserEntity);
    if (isUuid(reference)) return repo.findOne({ where: { id: reference } });
    return repo.findOne({ where: { email: reference.toLowerCase() } });
  }

  /**
   * The user an id or email names, with the roles they hold now, or undefined. By id it is the viewers'
   * batched read: concurrent lookups (a burst of calls starting) share one query, and one query has the roles.
   */
  async viewerByReference(reference: string): Promise<Viewer | undefined> {
    if (isUuid(reference)) return this.viewers.load(reference);
    const user = await this.findByReference(reference);
    return user ? this.viewers.load(user.id) : undefined;
  }

  async getByReference(reference: string, what = "User"): Promise<UserEntity> {
    const user = await this.findByReference(reference);
    if (!user) throw notFound(what, reference);
    return user;
  }

  async rolesOf(userId: string): Promise<Role[]> {
    return (await this.rolesByUser([userId])).get(userId) ?? [];
  }

  async rolesByUser(userIds: string[]): Promise<Map<string, Role[]>> {
    const result = new Map<string, Role[]>(userIds.map((id) => [id, []]));
    if (userIds.length === 0) return result;
    const rows = await this.dataSource.getRepository(UserRoleEntity).find({ where: { userId: In(userIds) } });
    for (const row of rows) result.get(row.userId)?.push(row.role);
    for (const roles of result.values()) roles.sort();
    return result;
  }

  async list(): Promise<UserEntity[]> {
    return this.dataSource.getRepository(UserEntity).find({ order: { email: "ASC" } });
  }

  async listWithRole(role: Role): Promise<UserEntity[]> {
    const holders = await this.dataSource.getRepository(UserRoleEntity).find({ where: { role } });
    if (holders.length === 0) return [];
    return this.dataSource.getRepository(UserEntity).find({ where: { id: In(holders.map((h) => h.userId)) }, order: { email: "ASC" } });
  }

  async create(actor: Viewer | undefined, requestId: string, input: NewUser): Promise<UserEntity> {
    const email = input.email.trim().toLowerCase();
    if (!EMAIL.test(email)) throw badInput("email must be an email address", "email");
    const displayName = requireVisibleText(input.displayName, { field: "displayName", max: 200, requiredFor: "for a user" });
    const roles = normalizeRoles(input.roles);
    const taken = () => badInput(`a user with email ${email} already exists`, "email");
    return this.transactions.run(async (uow) => {
      if (await uow.manager.findOne(UserEntity, { where: { email } })) throw taken();
      const user = uow.manager.create(UserEntity, { id: newId(), email, displayName, createdAt: new Date() });
      // Two concurrent creations both pass the check above; the unique index decides, as a clear error.
      await uow.manager.insert(UserEntity, user).catch((error) => {
        throw isUniqueViolation(error) ? taken() : error;
      });
      if (roles.length) await uow.manager.insert(UserRoleEntity, roles.map((role) => ({ userId: user.id, role })));
      await this.audit.append(uow, {
        actor,
        action: AuditAction.USER_CREATED,
        targetType: "USER",
        targetId: user.id,
        details: { email, roles },
        requestId,
      });
      return user;
    });
  }

  /** Replaces the user's role set. Administrators may change their own roles too. */
  async assignRoles(actor: Viewer, requestId: string, userId: string, roles: Role[]): Promise<UserEntity> {
    const next = normalizeRoles(roles);
    return this.transactions.run(async (uow) => {
      const user = await uow.manager.findOne(UserEntity, { where: { id: userId }, lock: uow.lock });
      if (!user) throw notFound("User", userId);
      const previous = (await uow.manager.find(UserRoleEntity, { where: { userId } })).map((r) => r.role).sort();
      if (previous.join() === next.join()) return user;
      await uow.manager.delete(UserRoleEntity, { userId });
      if (next.length) await uow.manager.insert(UserRoleEntity, next.map((role) => ({ userId, role })));
      await this.audit.append(uow, {
        actor,
        action: AuditAction.ROLES_CHANGED,
        targetType: "USER",
        targetId: userId,
        details: {
          previousRoles: previous,
          roles: next,
          added: next.filter((r) => !previous.includes(r)),
          removed: previous.filter((r) => !next.includes(r)),
        },
        requestId,
      });
      uow.afterCommit(() => this.announceRoleChange(userId));
      return user;
    });
  }
}

/** The longest a role change waits to come back from the bus before it is answered anyway (the bus is down). */
const ECHO_WAIT_MS = 1000;
/** A failed role-change publish is tried again after this, then twice as long each time up to MAX_REPUBLISH_MS. */
const FIRST_REPUBLISH_MS = 250;
const MAX_REPUBLISH_MS = 5000;

function normalizeRoles(roles: Role[]): Role[] {
  for (const role of roles) if (!ALL_ROLES.includes(role)) throw badInput(`unknown role ${role}`, "roles");
  return [...new Set(roles)].sort();
}
