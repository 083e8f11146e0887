// @ts-check
'use strict';
// The multiply demo must answer exactly as the seed's Python server does: it parses the request
// with Python's `float(line)` and replies `str(number * multiplier)`. JavaScript's `Number(text)`
// and `String(number)` differ from both (`Number('') === 0`, `String(200) === '200'`), so these
// two functions reproduce Python's rules.

// Python's float() literal: optional sign, digits with single `_` between them, an optional
// fraction and exponent (https://docs.python.org/3/library/functions.html#float).
const DIGITS = String.raw`\d(?:_?\d)*`;
const DECIMAL = new RegExp(`^[+-]?(?:(?:${DIGITS})?\\.${DIGITS}|${DIGITS}\\.?)(?:[eE][+-]?${DIGITS})?$`);
const SPECIAL = /^([+-]?)(inf|infinity|nan)$/i;

/**
 * Python's `float(text)`: the number, or `null` where Python raises `ValueError`.
 * Known difference: Python also accepts non-ASCII decimal digits (`float('١٢')` is 12.0);
 * this returns `null` for them.
 * @param {string} text
 * @returns {number | null}
 */
function parsePythonFloat(text) {
  // Python strips surrounding whitespace; String#trim strips the same Unicode space characters.
  const s = text.trim();
  if (DECIMAL.test(s)) return Number(s.replaceAll('_', ''));
  const special = SPECIAL.exec(s);
  if (special === null) return null;
  if (special[2].toLowerCase() === 'nan') return Number.NaN;
  return special[1] === '-' ? -Infinity : Infinity;
}

/**
 * Python's `str(x)` / `repr(x)` for a float: the shortest digits that round-trip (JavaScript
 * computes the same digits), written in fixed notation with a trailing `.0` for whole numbers
 * when the decimal exponent is in [-4, 16), else in exponent notation with at least two
 * exponent digits: `200.0`, `2.5`, `0.0001`, `1e-05`, `1e+16`, `1.5e+300`, `inf`, `nan`, `-0.0`.
 * @param {number} x
 * @returns {string}
 */
function formatPythonFloat(x) {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  // toExponential() without an argument gives the shortest round-trip digits: d.ddde±x.
  const [mantissa, exponentText] = Math.abs(x).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const magnitude = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${digits[0]}${fraction}e${exponent < 0 ? '-' : '+'}${magnitude}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const integerDigits = exponent + 1;
  if (digits.length <= integerDigits) return `${sign}${digits.padEnd(integerDigits, '0')}.0`;
  return `${sign}${digits.slice(0, integerDigits)}.${digits.slice(integerDigits)}`;
}

module.exports = { formatPythonFloat, parsePythonFloat };
