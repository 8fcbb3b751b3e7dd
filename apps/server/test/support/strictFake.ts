/**
 * A partial implementation of an interface for unit tests that fails loudly when the code under test
 * uses anything the test did not provide, instead of quietly getting `undefined`.
 */
export function strictFake<T extends object>(name: string, provided: Partial<T>): T {
  return new Proxy(provided as T, {
    get(target, property, receiver) {
      if (typeof property === 'symbol' || property === 'then' || property in target) {
        return Reflect.get(target, property, receiver);
      }
      throw new Error(`${name}.${property} is not provided by this test`);
    },
  });
}
