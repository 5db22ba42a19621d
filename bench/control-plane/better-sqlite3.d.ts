// The bench's raw reference uses better-sqlite3 directly (the app reaches it only through TypeORM), so it declares what it uses.
declare module "better-sqlite3" {
  namespace Database {
    interface Statement {
      readonly reader: boolean;
      all(...params: unknown[]): unknown[];
      run(...params: unknown[]): { changes: number };
    }
  }
  class Database {
    constructor(file: string);
    prepare(sql: string): Database.Statement;
    pragma(source: string): unknown;
    close(): void;
  }
  export = Database;
}
