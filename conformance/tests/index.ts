import type { ConformanceTest } from '../harness';
import { cgroupTests } from './cgroups';
import { configTests } from './config';
import { linuxTests } from './linux';
import { processFieldTests } from './process-fields';
import { resourceTests } from './resources';
import { runtimeTests } from './runtime';

export const allTests: ConformanceTest[] = [...runtimeTests, ...configTests, ...linuxTests, ...cgroupTests, ...resourceTests, ...processFieldTests];
