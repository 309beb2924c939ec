import { defaultAddressPolicy, type AddressPolicy, type Resolver } from '@mod/urls/fetch';

/**
 * The network end-to-end tests see, so that no traffic leaves the machine: names under `.test` and `.example`
 * resolve to 127.0.0.1, which `loopbackAsPublic` treats as a public host (the production policy decides every
 * other address); every other name does not resolve, so no DNS server is asked anything.
 */
export const loopbackResolver: Resolver = (name) =>
  /\.(test|example)$/.test(name)
    ? Promise.resolve([{ address: '127.0.0.1', family: 4 }])
    : Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' }));

export const loopbackAsPublic: AddressPolicy = (address) =>
  address === '127.0.0.1' ? 'allow' : defaultAddressPolicy(address);
