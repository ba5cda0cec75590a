import type { ClusterNode } from '@millrace/cluster';
import type { Fs } from '@millrace/storage';
import { DurableJson } from './durable-json.ts';

/**
 * One JSON value a store keeps its state in: a file of this broker's data directory, or, in a
 * cluster, a document every broker shares. Stores change it only through `update`, which applies
 * a change to the latest value, so changes made through different brokers are never lost.
 */
export interface JsonDocument<T> {
  /** Applies `change` to the latest value (null before the first) and resolves with the result once it is durable. */
  update(change: (current: T | null) => T): Promise<T>;
}

/** The single broker's document: a checkpoint file, changed in the order the changes are asked for. */
export class LocalJsonDocument<T> implements JsonDocument<T> {
  private readonly file: DurableJson<T>;
  private value: T | null = null;

  private constructor(file: DurableJson<T>) {
    this.file = file;
  }

  /** Opens the document and its stored value. */
  static async open<T>(fs: Fs, dataDir: string, name: string): Promise<{ document: LocalJsonDocument<T>; value: T | null }> {
    const document = new LocalJsonDocument<T>(new DurableJson(fs, dataDir, name));
    document.value = await document.file.load();
    return { document, value: document.value };
  }

  async update(change: (current: T | null) => T): Promise<T> {
    const next = change(this.value);
    this.value = next;
    await this.file.save(next);
    return next;
  }
}

/**
 * A document of the cluster's metadata in etcd. Every broker is told of every change (its own
 * and the others'), in the order etcd made them.
 */
export class ClusterJsonDocument<T> implements JsonDocument<T> {
  private readonly node: ClusterNode;
  private readonly name: string;

  constructor(node: ClusterNode, name: string) {
    this.node = node;
    this.name = name;
  }

  async update(change: (current: T | null) => T): Promise<T> {
    const written = await this.node.updateDocument(this.name, (bytes) => Buffer.from(JSON.stringify(change(parse<T>(bytes)))));
    return parse<T>(written)!;
  }

  /** The cluster's value, made `value` first if the cluster has none yet (the first broker to join brings its own). */
  async seed(value: T): Promise<T> {
    const written = await this.node.updateDocument(this.name, (bytes) => (bytes === null ? Buffer.from(JSON.stringify(value)) : null));
    return parse<T>(written) ?? value;
  }

  /** Calls `listener` with the value after each change etcd reports (null when the document was deleted). */
  onChange(listener: (value: T | null) => void): void {
    this.node.subscribe((changes) => {
      if (changes.documentsChanged.includes(this.name)) listener(parse<T>(this.node.view.documents.get(this.name) ?? null));
    });
  }
}

function parse<T>(bytes: Buffer | null): T | null {
  return bytes === null ? null : (JSON.parse(bytes.toString('utf8')) as T);
}

/**
 * A store's state: its latest value, kept in a document (the broker's own file, until the broker
 * joins a cluster and `share` moves it to the cluster's). `onValue` sees every new value, whoever
 * made it, so a store can keep its indexes of it.
 */
export class DocumentState<T> {
  private current: T;
  private document: JsonDocument<T>;
  private readonly empty: T;
  private readonly onValue: (value: T) => void;

  private constructor(document: JsonDocument<T>, value: T, empty: T, onValue: (value: T) => void) {
    this.document = document;
    this.current = value;
    this.empty = empty;
    this.onValue = onValue;
    onValue(value);
  }

  static async open<T>(fs: Fs, dataDir: string, fileName: string, empty: T, onValue: (value: T) => void = () => {}): Promise<DocumentState<T>> {
    const { document, value } = await LocalJsonDocument.open<T>(fs, dataDir, fileName);
    return new DocumentState(document, value ?? empty, empty, onValue);
  }

  get value(): T {
    return this.current;
  }

  /** Applies `change` to the latest value and resolves once the result is durable (in a cluster: in etcd). */
  async update(change: (current: T) => T): Promise<T> {
    this.set(await this.document.update((latest) => change(latest ?? this.empty)));
    return this.current;
  }

  /** From now on, the cluster's document: this broker's value seeds it if it has none yet. */
  async share(document: ClusterJsonDocument<T>): Promise<void> {
    document.onChange((value) => this.set(value ?? this.empty));
    this.set(await document.seed(this.current));
    this.document = document;
  }

  private set(value: T): void {
    this.current = value;
    this.onValue(value);
  }
}
