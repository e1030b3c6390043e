// SPDX-License-Identifier: Apache-2.0
// The gateway's public surface: build the app (or run it) from a checked config. Nothing else
// is exported: no other package, script or test imports the gateway's internals through here.
export { buildGateway, type GatewayDeps } from './app';
export { loadConfig, type GatewayConfig } from './config/config';
export { createGateway, type Gateway } from './runtime';
export { serve } from './server';
