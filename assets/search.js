export function attach() {}
