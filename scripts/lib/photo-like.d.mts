export function photoLike(width: number, height: number, seed?: number): Buffer;
