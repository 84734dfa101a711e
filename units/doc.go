// Package units holds the lab's measured quantities and the one way each is
// printed.
//
// Every quantity the scorecard records has a type here that knows its unit
// and its written precision: a Millis rounds to 3 decimals, a PerSecond to 1,
// a Ratio to 4, and so on. The types round themselves when they are written
// (YAML or JSON), so a field added to a record cannot slip past rounding, and
// a card read back equals the card written.
//
// The formatting functions (Int, MS, Pct, Rate, Plural, ...) are shared by
// the CLI, the driver's text summary, the verdict evidence and the report,
// so that one value always prints the same way.
package units
