// The limits of a festival's tattoo settings: the migration's CHECKs
// (20261203000000_tattoo_slots), shared by the settings' schema
// (tattoo-settings.server.ts) and the settings form (its min/max).
export const TATTOO_LIMITS = {
  bookingsPerArtist: { min: 1, max: 20 },
  cancelHours: { min: 0, max: 720 },
  offerMinutes: { min: 5, max: 1440 },
} as const;
