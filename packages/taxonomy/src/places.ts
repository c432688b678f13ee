import { z } from 'zod';

// ISO 3166-1 alpha-2: the 249 officially assigned codes.
const ISO_COUNTRIES = new Set(
  (
    'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
    'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR ' +
    'GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO ' +
    'JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR ' +
    'MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO ' +
    'RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV ' +
    'TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'
  ).split(' '),
);

/** ISO 3166-1 alpha-2 country code, upper case (`PT`, `JP`). Only officially assigned codes pass. */
export const countryCodeSchema = z
  .string()
  .refine((code) => ISO_COUNTRIES.has(code), { message: 'expected an ISO 3166-1 alpha-2 country code such as "PT"' })
  .describe('ISO 3166-1 alpha-2 country code, e.g. "PT"');

/** IATA airport or metropolitan-area code: three upper-case letters (`LIS`, `TYO`). */
export const iataCodeSchema = z
  .string()
  .regex(/^[A-Z]{3}$/, 'expected a 3-letter IATA code such as "LIS"')
  .describe('IATA airport or city code, e.g. "LIS"');

/** UN/LOCODE: country code plus three letters or digits 2-9 (`PTLIS`, `JPTYO`). */
export const unlocodeSchema = z
  .string()
  .regex(/^[A-Z]{2}[A-Z2-9]{3}$/, 'expected a 5-character UN/LOCODE such as "PTLIS"')
  .describe('UN/LOCODE starting with the country code, e.g. "PTLIS"');

/** A travel place: always a country, optionally a region, a city and standard ids. */
export const placeSchema = z
  .strictObject({
    country: countryCodeSchema,
    region: z.string().min(1).max(128).optional(),
    city: z.string().min(1).max(128).optional(),
    iata: iataCodeSchema.optional(),
    unlocode: unlocodeSchema.optional(),
    /** The site's own id for the destination page, when it has one. */
    placeId: z.string().min(1).max(128).optional(),
  })
  .refine((place) => !place.unlocode || place.unlocode.startsWith(place.country), {
    message: 'the UN/LOCODE must start with the place country code',
    path: ['unlocode'],
  });

/** A trip's dates as ISO calendar dates, start on or before end. */
export const dateRangeSchema = z
  .strictObject({
    start: z.iso.date().describe('first day, YYYY-MM-DD'),
    end: z.iso.date().describe('last day, YYYY-MM-DD'),
  })
  .refine((range) => range.start <= range.end, { message: 'start must not be after end', path: ['end'] });

/** A travel place. */
export type Place = z.input<typeof placeSchema>;
/** A trip's dates. */
export type DateRange = z.input<typeof dateRangeSchema>;
