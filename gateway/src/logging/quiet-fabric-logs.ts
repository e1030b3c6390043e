// SPDX-License-Identifier: Apache-2.0
// fabric-contract-api logs every decorator at info level when the contract class loads; the
// embedded runtime hosts the contract, so default its log level to warnings unless set.
process.env.CORE_CHAINCODE_LOGGING_LEVEL ??= 'warning';
