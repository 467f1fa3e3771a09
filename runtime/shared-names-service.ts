/** The NameService of schedulers on several threads: the shared SAB name table. */
import type { Pid } from './pid.js';
import type { NameService } from './scheduler.js';
import { SharedNameTable, type CreateNameTableOptions } from './shared-names.js';

export class SharedNames implements NameService {
  private constructor(readonly table: SharedNameTable) {}

  static create(options: CreateNameTableOptions = {}): SharedNames {
    return new SharedNames(SharedNameTable.create(options));
  }

  static open(buffer: SharedArrayBuffer): SharedNames {
    return new SharedNames(SharedNameTable.open(buffer));
  }

  get buffer(): SharedArrayBuffer {
    return this.table.buffer;
  }

  register(name: string, pid: Pid) {
    return this.table.register(name, pid);
  }

  unregister(name: string): boolean {
    return this.table.unregister(name);
  }

  whereis(name: string): Pid | undefined {
    return this.table.whereis(name);
  }

  release(name: string, pid: Pid): void {
    this.table.unregister(name, pid);
  }

  names(): string[] {
    return this.table.names();
  }
}
