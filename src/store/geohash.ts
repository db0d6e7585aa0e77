// Geohash math as Redis 7.0 does it (geohash.c / geohash_helper.c semantics): 26 steps per
// coordinate interleaved into a 52-bit integer that is the member's sorted-set score
// (latitude in the even bits, longitude in the odd bits), latitude limited to +-85.05112878
// (Web Mercator), distances by the haversine formula with Redis's earth radius.
//
// Values up to 2^52 are exact in a double, so hashes are plain numbers; the neighbour moves
// (which need 64-bit masks) use BigInt, 9 per search.

export const GEO_STEP_MAX = 26;
export const GEO_LAT_MIN = -85.05112878;
export const GEO_LAT_MAX = 85.05112878;
export const GEO_LONG_MIN = -180;
export const GEO_LONG_MAX = 180;
const EARTH_RADIUS_IN_METERS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;
const D_R = Math.PI / 180.0;

const TWO32 = 4294967296;

export interface Range {
  min: number;
  max: number;
}

/** A geohash: `bits` holds step*2 bits (exact as a number, step <= 26). */
export interface Hash {
  bits: number;
  step: number;
}

export interface Area {
  hash: Hash;
  lon: Range;
  lat: Range;
}

const LON_RANGE: Range = { min: GEO_LONG_MIN, max: GEO_LONG_MAX };
const LAT_RANGE: Range = { min: GEO_LAT_MIN, max: GEO_LAT_MAX };

export function degRad(ang: number): number {
  return ang * D_R;
}

function radDeg(ang: number): number {
  return ang / D_R;
}

/** Spreads the low 16 bits of v to the even bit positions of a 32-bit word. */
function spread16(v: number): number {
  v &= 0xffff;
  v = (v | (v << 8)) & 0x00ff00ff;
  v = (v | (v << 4)) & 0x0f0f0f0f;
  v = (v | (v << 2)) & 0x33333333;
  v = (v | (v << 1)) & 0x55555555;
  return v >>> 0;
}

/** Gathers the even bits of a 32-bit word into 16 bits. */
function compact16(v: number): number {
  v &= 0x55555555;
  v = (v | (v >>> 1)) & 0x33333333;
  v = (v | (v >>> 2)) & 0x0f0f0f0f;
  v = (v | (v >>> 4)) & 0x00ff00ff;
  v = (v | (v >>> 8)) & 0x0000ffff;
  return v;
}

/** interleave64(x, y) for 32-bit x (even bits) and y (odd bits), as a (rounded) double. */
function interleave(x: number, y: number): number {
  const lo = (spread16(x) | (spread16(y) << 1)) >>> 0;
  const hi = (spread16(x >>> 16) | (spread16(y >>> 16) << 1)) >>> 0;
  return hi * TWO32 + lo;
}

/**
 * geohashEncode: coordinates to a hash of `step` bits per coordinate within the ranges.
 * Null when out of the supported limits.
 */
export function encode(lonR: Range, latR: Range, lon: number, lat: number, step: number): Hash | null {
  if (step > 32 || step === 0) return null;
  if (lon > 180 || lon < -180 || lat > 85.05112878 || lat < -85.05112878) return null;
  if (lat < latR.min || lat > latR.max || lon < lonR.min || lon > lonR.max) return null;
  let latOff = (lat - latR.min) / (latR.max - latR.min);
  let lonOff = (lon - lonR.min) / (lonR.max - lonR.min);
  latOff *= 2 ** step;
  lonOff *= 2 ** step;
  // C converts the offsets to uint32_t (truncation).
  return { bits: interleave(Math.trunc(latOff) >>> 0, Math.trunc(lonOff) >>> 0), step };
}

export function encodeWGS84(lon: number, lat: number, step: number): Hash | null {
  return encode(LON_RANGE, LAT_RANGE, lon, lat, step);
}

/** geohashAlign52Bits: the hash shifted to 52 bits (a score). */
export function align52(h: Hash): number {
  return h.bits * 2 ** (52 - h.step * 2);
}

/** The score of a member at (lon, lat), or null when out of range (GEOADD). */
export function geoScore(lon: number, lat: number): number | null {
  const h = encodeWGS84(lon, lat, GEO_STEP_MAX);
  return h === null ? null : align52(h);
}

/** A double score as C's (uint64_t) cast on x86-64 gives it, split in two 32-bit halves. */
function scoreWords(score: number): [number, number] {
  if (score >= 0 && score < 9007199254740992) {
    const v = Math.trunc(score);
    return [Math.floor(v / TWO32), v % TWO32];
  }
  let b: bigint;
  if (!(score > -9223372036854775808 && score < 18446744073709551616)) b = 1n << 63n;
  else if (score >= 9223372036854775808) b = BigInt(Math.trunc(score));
  else b = BigInt.asUintN(64, BigInt(Math.trunc(score)));
  return [Number(b >> 32n), Number(b & 0xffffffffn)];
}

/** geohashDecode: the cell a hash covers. */
export function decodeArea(lonR: Range, latR: Range, hi: number, lo: number, step: number): Area {
  // deinterleave: even bits -> latitude, odd bits -> longitude (32 bits each).
  const ilat = compact16(lo) + compact16(hi) * 65536;
  const ilon = compact16(lo >>> 1) + compact16(hi >>> 1) * 65536;
  const latScale = latR.max - latR.min;
  const lonScale = lonR.max - lonR.min;
  const div = 2 ** step;
  return {
    hash: { bits: hi * TWO32 + lo, step },
    lat: { min: latR.min + (ilat / div) * latScale, max: latR.min + ((ilat + 1) / div) * latScale },
    lon: { min: lonR.min + (ilon / div) * lonScale, max: lonR.min + ((ilon + 1) / div) * lonScale },
  };
}

function decodeHash(h: Hash, lonR: Range = LON_RANGE, latR: Range = LAT_RANGE): Area {
  return decodeArea(lonR, latR, Math.floor(h.bits / TWO32), h.bits % TWO32, h.step);
}

/** decodeGeohash: a score's [longitude, latitude] (the centre of its cell, clamped). */
export function decodeScore(score: number): [number, number] {
  const [hi, lo] = scoreWords(score);
  const a = decodeArea(LON_RANGE, LAT_RANGE, hi, lo, GEO_STEP_MAX);
  let x = (a.lon.min + a.lon.max) / 2;
  if (x > GEO_LONG_MAX) x = GEO_LONG_MAX;
  if (x < GEO_LONG_MIN) x = GEO_LONG_MIN;
  let y = (a.lat.min + a.lat.max) / 2;
  if (y > GEO_LAT_MAX) y = GEO_LAT_MAX;
  if (y < GEO_LAT_MIN) y = GEO_LAT_MIN;
  return [x, y];
}

const ALPHABET = "0123456789bcdefghjkmnpqrstuvwxyz";

/** GEOHASH's 11-character standard geohash of a score (re-encoded with latitude +-90). */
export function geohashString(score: number): string {
  const [x, y] = decodeScore(score);
  const h = encode({ min: -180, max: 180 }, { min: -90, max: 90 }, x, y, 26);
  const bits = h === null ? 0 : h.bits;
  let s = "";
  for (let i = 0; i < 11; i++) {
    const idx = i === 10 ? 0 : Math.floor(bits / 2 ** (52 - (i + 1) * 5)) % 32;
    s += ALPHABET[idx];
  }
  return s;
}

// ---------------------------------------------------------------- distances

/** geohashGetLatDistance */
export function latDistance(lat1: number, lat2: number): number {
  return EARTH_RADIUS_IN_METERS * Math.abs(degRad(lat2) - degRad(lat1));
}

/** geohashGetDistance: haversine great-circle distance in meters. */
export function distance(lon1d: number, lat1d: number, lon2d: number, lat2d: number): number {
  const lon1r = degRad(lon1d);
  const lon2r = degRad(lon2d);
  const v = Math.sin((lon2r - lon1r) / 2);
  if (v === 0.0) return latDistance(lat1d, lat2d);
  const lat1r = degRad(lat1d);
  const lat2r = degRad(lat2d);
  const u = Math.sin((lat2r - lat1r) / 2);
  const a = u * u + Math.cos(lat1r) * Math.cos(lat2r) * v * v;
  return 2.0 * EARTH_RADIUS_IN_METERS * Math.asin(Math.sqrt(a));
}

// ---------------------------------------------------------------- search areas

export const CIRCLE = 0;
export const BOX = 1;

export interface Shape {
  type: number;
  /** centre: longitude, latitude */
  x: number;
  y: number;
  /** unit factor to meters */
  conversion: number;
  radius: number;
  width: number;
  height: number;
}

/** geohashBoundingBox: [minLon, minLat, maxLon, maxLat] around the shape. */
function boundingBox(s: Shape): [number, number, number, number] {
  const lon = s.x;
  const lat = s.y;
  const height = s.conversion * (s.type === CIRCLE ? s.radius : s.height / 2);
  const width = s.conversion * (s.type === CIRCLE ? s.radius : s.width / 2);
  const latDelta = radDeg(height / EARTH_RADIUS_IN_METERS);
  const lonDeltaTop = radDeg(width / EARTH_RADIUS_IN_METERS / Math.cos(degRad(lat + latDelta)));
  const lonDeltaBottom = radDeg(width / EARTH_RADIUS_IN_METERS / Math.cos(degRad(lat - latDelta)));
  const south = lat < 0;
  return [
    south ? lon - lonDeltaBottom : lon - lonDeltaTop,
    lat - latDelta,
    south ? lon + lonDeltaBottom : lon + lonDeltaTop,
    lat + latDelta,
  ];
}

/** geohashEstimateStepsByRadius */
function estimateSteps(rangeMeters: number, lat: number): number {
  if (rangeMeters === 0) return 26;
  let step = 1;
  while (rangeMeters < MERCATOR_MAX) {
    rangeMeters *= 2;
    step++;
  }
  step -= 2;
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > 26) step = 26;
  return step;
}

const EVEN = 0x5555555555555555n;
const ODD = 0xaaaaaaaaaaaaaaaan;

/**
 * One cell along an axis (geohash_move_x / _move_y): `mask` selects the axis's interleaved
 * bits (x: odd, y: even), `other` the other axis's, which stay.
 */
function moveAxis(bits: bigint, step: bigint, d: number, mask: bigint, other: bigint): bigint {
  let v = bits & mask;
  const keep = bits & other;
  const zz = other >> (64n - step);
  if (d > 0) v = v + (zz + 1n);
  else {
    v = v | zz;
    v = v - (zz + 1n);
  }
  v &= mask >> (64n - step);
  return BigInt.asUintN(64, v | keep);
}

/** One cell east/west (dx) and/or north/south (dy). */
function move(h: Hash, dx: number, dy: number): Hash {
  const step = BigInt(h.step * 2);
  let bits = BigInt(h.bits);
  if (dx !== 0) bits = moveAxis(bits, step, dx, ODD, EVEN);
  if (dy !== 0) bits = moveAxis(bits, step, dy, EVEN, ODD);
  return { bits: Number(bits), step: h.step };
}

interface Neighbors {
  north: Hash | null;
  south: Hash | null;
  east: Hash | null;
  west: Hash | null;
  northEast: Hash | null;
  northWest: Hash | null;
  southEast: Hash | null;
  southWest: Hash | null;
}

function neighbors(h: Hash): Neighbors {
  return {
    east: move(h, 1, 0),
    west: move(h, -1, 0),
    south: move(h, 0, -1),
    north: move(h, 0, 1),
    northWest: move(h, -1, 1),
    southWest: move(h, -1, -1),
    northEast: move(h, 1, 1),
    southEast: move(h, 1, -1),
  };
}

/**
 * geohashCalculateAreasByShapeWGS84 + the order membersOfAllNeighbors walks them in: the
 * centre cell, then N S E W NE NW SE SW; null entries are cells excluded as useless.
 */
export function searchCells(s: Shape): (Hash | null)[] {
  const [minLon, minLat, maxLon, maxLat] = boundingBox(s);
  let radiusMeters = s.type === CIRCLE ? s.radius : Math.sqrt((s.width / 2) * (s.width / 2) + (s.height / 2) * (s.height / 2));
  radiusMeters *= s.conversion;
  let steps = estimateSteps(radiusMeters, s.y);
  let hash = encode(LON_RANGE, LAT_RANGE, s.x, s.y, steps)!;
  let nb = neighbors(hash);
  let area = decodeHash(hash);
  let decrease = false;
  {
    const north = decodeHash(nb.north!);
    const south = decodeHash(nb.south!);
    const east = decodeHash(nb.east!);
    const west = decodeHash(nb.west!);
    if (north.lat.max < maxLat) decrease = true;
    if (south.lat.min > minLat) decrease = true;
    if (east.lon.max < maxLon) decrease = true;
    if (west.lon.min > minLon) decrease = true;
  }
  if (steps > 1 && decrease) {
    steps--;
    hash = encode(LON_RANGE, LAT_RANGE, s.x, s.y, steps)!;
    nb = neighbors(hash);
    area = decodeHash(hash);
  }
  if (steps >= 2) {
    if (area.lat.min < minLat) nb.south = nb.southWest = nb.southEast = null;
    if (area.lat.max > maxLat) nb.north = nb.northEast = nb.northWest = null;
    if (area.lon.min < minLon) nb.west = nb.southWest = nb.northWest = null;
    if (area.lon.max > maxLon) nb.east = nb.southEast = nb.northEast = null;
  }
  return [hash, nb.north, nb.south, nb.east, nb.west, nb.northEast, nb.northWest, nb.southEast, nb.southWest];
}

/** scoresOfGeoHashBox: the [min, max) score range of a cell. */
export function cellScores(h: Hash): [number, number] {
  return [align52(h), align52({ bits: h.bits + 1, step: h.step })];
}

/**
 * Whether a point is inside the shape (geoAppendIfWithinShape), and its distance from the
 * centre in meters (in `lastDistance`).
 */
export let lastDistance = 0;
export function withinShape(s: Shape, x: number, y: number): boolean {
  if (s.type === CIRCLE) {
    const d = distance(s.x, s.y, x, y);
    if (d > s.radius * s.conversion) return false;
    lastDistance = d;
    return true;
  }
  const widthM = s.width * s.conversion;
  const heightM = s.height * s.conversion;
  if (latDistance(y, s.y) > heightM / 2) return false;
  if (distance(x, y, s.x, y) > widthM / 2) return false;
  lastDistance = distance(s.x, s.y, x, y);
  return true;
}

// ---------------------------------------------------------------- number formatting

/** C printf "%.<p>f" of a double: exact decimal, ties to even. */
export function fmtFixed(x: number, p: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  const neg = x < 0 || Object.is(x, -0);
  const ax = Math.abs(x);
  if (ax >= 1e21) return (neg ? "-" : "") + BigInt(ax).toString() + (p > 0 ? "." + "0".repeat(p) : "");
  let s = ax.toFixed(p);
  // toFixed rounds exact ties up; printf rounds them to even. A tie needs x to end exactly at
  // digit p+1, i.e. x * 2^(p+1) to be an integer.
  if (Number.isInteger(ax * 2 ** (p + 1))) {
    const t = ax.toFixed(p + 1);
    if (t.endsWith("5")) {
      const lastKept = t.charCodeAt(t.length - 2 - (p === 0 ? 1 : 0)) - 48;
      if (lastKept % 2 === 0) s = p === 0 ? t.slice(0, -2) : t.slice(0, -1);
    }
  }
  return (neg ? "-" : "") + s;
}

/** Redis's human long double form ("%.17Lf", trailing zeros and dot removed, -0 -> 0). */
export function fmtHuman(x: number): string {
  let s = fmtFixed(x, 17);
  if (s.includes(".")) {
    let e = s.length;
    while (s.charCodeAt(e - 1) === 48) e--;
    if (s.charCodeAt(e - 1) === 46) e--;
    s = s.slice(0, e);
  }
  if (s === "-0") s = "0";
  return s;
}
