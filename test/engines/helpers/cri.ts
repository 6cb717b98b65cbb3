// A CRI (k8s.io/cri-api runtime.v1) client over containerd's gRPC socket, as a
// kubelet calls it: @grpc/grpc-js with the tests' subset of the API
// (test/engines/proto/cri-runtime-v1.proto). Field names are the proto's
// (snake_case), 64-bit integers strings, enums their names.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import path from 'node:path';

const PROTO = path.resolve(__dirname, '../proto/cri-runtime-v1.proto');

type Unary = (request: object, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, response: unknown) => void) => void;

interface Services {
  runtime: { v1: { RuntimeService: grpc.ServiceClientConstructor; ImageService: grpc.ServiceClientConstructor } };
}

export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';
export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';
export type PodSandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';

export interface UInt64Value {
  value: string;
}

export interface ContainerStatus {
  id: string;
  state: ContainerState;
  created_at: string;
  started_at: string;
  finished_at: string;
  exit_code: number;
  reason: string;
  message: string;
  log_path: string;
}

export interface ContainerStats {
  attributes: { id: string } | null;
  cpu: { timestamp: string; usage_core_nano_seconds: UInt64Value | null } | null;
  memory: { timestamp: string; working_set_bytes: UInt64Value | null; usage_bytes: UInt64Value | null } | null;
}

export interface PodSandboxStatus {
  id: string;
  state: PodSandboxState;
  runtime_handler: string;
}

export interface ExecSyncResponse {
  stdout: Buffer;
  stderr: Buffer;
  exit_code: number;
}

export class CriClient {
  private readonly runtime: grpc.Client;
  private readonly image: grpc.Client;

  constructor(socket: string) {
    const definition = protoLoader.loadSync(PROTO, { keepCase: true, longs: String, enums: String, defaults: true });
    const services = grpc.loadPackageDefinition(definition) as unknown as Services;
    const target = `unix://${socket}`;
    this.runtime = new services.runtime.v1.RuntimeService(target, grpc.credentials.createInsecure());
    this.image = new services.runtime.v1.ImageService(target, grpc.credentials.createInsecure());
  }

  /** One unary call of RuntimeService (or ImageService); rejects with the gRPC status text. */
  call<T>(method: string, request: object, opts: { image?: boolean; timeoutMs?: number } = {}): Promise<T> {
    const client = opts.image ? this.image : this.runtime;
    const fn = (client as unknown as Record<string, Unary>)[method];
    if (!fn) return Promise.reject(new Error(`the tests' CRI proto has no method ${method}`));
    return new Promise<T>((resolve, reject) => {
      fn.call(client, request, { deadline: Date.now() + (opts.timeoutMs ?? 60_000) }, (err, response) => {
        if (err) reject(new Error(`CRI ${method}: ${err.details || err.message} (gRPC code ${err.code})`));
        else resolve(response as T);
      });
    });
  }

  close(): void {
    this.runtime.close();
    this.image.close();
  }
}
