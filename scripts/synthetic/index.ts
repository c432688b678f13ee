// The synthetic travel-blog readership: content, generator, known answers, envelopes and the store loader.
// Importing this file loads DuckDB (through the loader); import the single files to avoid it.
export { authors, defaultSiteOrigin, destinationOf, destinationPath, destinations, pageTemplates, postPath, postTemplates, posts, siteRoutes, travelThemes } from './siteContent';
export type { Author, BookingLink, Destination, Post, PostTemplate, TravelTheme } from './siteContent';
export { audienceShares, botUserAgents, createVisitor, homeCountries, humanUserAgents, tripStyleModel } from './createVisitor';
export type { ConsentChoice, DeviceClass, EngagementTier, UserAgentInfo, Visitor } from './createVisitor';
export { campaigns, periodStart, readershipModel, vitalRating } from './readershipModel';
export { generateReadership, readershipVersion, searchResults } from './generateReadership';
export type { PageView, ReadershipOptions, Visit, VisitAction } from './generateReadership';
export { expectedDestinationShares, expectedTopDestinations, expectedTrendingDestinations, knownAnswers, trendingWindows } from './knownAnswers';
export type { DestinationTrend, KnownAnswers, PeriodOptions } from './knownAnswers';
export { actionId, deliveryOf, sampleRateOf, syntheticLibrary, syntheticSampling, syntheticSchema, toEnvelope } from './toEnvelope';
export type { Delivery } from './toEnvelope';
export { referrerHostOf, storedRows, syntheticVisitorId } from './toStoredRow';
export type { StoredRowOptions } from './toStoredRow';
export { failedRow, failureKinds } from './failedEvents';
export type { FailedRow, FailureKind } from './failedEvents';
export { countStoredEvents, loadSyntheticStore, syntheticStoreDefaults } from './loadSyntheticStore';
export type { SyntheticStoreOptions, SyntheticStoreSummary } from './loadSyntheticStore';
export { createRandom, cumulative, mixSeed, seededTimeUuid, seededUuid } from './createRandom';
export type { Random } from './createRandom';
