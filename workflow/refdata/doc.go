// Package refdata holds the reference data of the trade, embedded in the binary: the HS 2022
// nomenclature (chapters, headings, subheadings and sections), ISO 3166-1 countries, current
// ISO 4217 currencies and the Chinese customs legal units of measure (计量单位代码).
//
// Load parses the embedded files once into a read-only Set of in-memory lookups; build it at
// start-up and pass it to whoever needs it. A Set is safe for concurrent use. Lookups take
// codes in their canonical form (upper-case, half-width, no spaces): normalising what a user
// typed is the job of the identifier checks in package workflow.
//
// data/SOURCES.md says where every file comes from and under which licence.
package refdata
