export {
  envelopeSchema,
  envelopeTypeSchema,
  batchSchema,
  consentSnapshotSchema,
  eventContextSchema,
  pageContextSchema,
  campaignSchema,
} from './envelope';
export type { Envelope, EnvelopeType, Batch, ConsentSnapshot, EventContext, PageContext, Campaign } from './envelope';
export { defineEvent } from './defineEvent';
export type { EventDefinition, EventCategory } from './defineEvent';
export { defineCatalogue, catalogueSchemaId } from './defineCatalogue';
export type { Catalogue, CatalogueOptions, EventMap } from './defineCatalogue';
export { extendCatalogue } from './extendCatalogue';
export { travelCatalogue, userTraitsSchema, shareNetworks, productTypes } from './travelCatalogue';
export type { TravelCatalogue, UserTraits } from './travelCatalogue';
export { countryCodeSchema, iataCodeSchema, unlocodeSchema, placeSchema, dateRangeSchema } from './places';
export type { Place, DateRange } from './places';
export { validateEvent, validateEnvelope, formatIssues } from './validateEvent';
export { eventCategories, eventCategory } from './eventCategories';
export type { ValidationIssue, ValidationResult } from './validateEvent';
export type { Register, RegisteredCatalogue, RegisteredEvents } from './register';
