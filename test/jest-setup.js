// SPDX-License-Identifier: Apache-2.0
// fabric-contract-api logs every decorator at info level when a contract class loads.
process.env.CORE_CHAINCODE_LOGGING_LEVEL = 'warning';
