// Package demo fills an empty database with realistic, deterministic demo data for market
// procurement trade in Yiwu: agents, merchants across the five districts of Yiwu
// International Trade City with their entrustments, foreign buyers, goods catalogues,
// transactions with traceable lines, customs monthly exchange rates and a user for every role.
//
// The data follow the trade's rules (DOMAIN.md): USCCs carry correct GB 32100 check characters,
// HS codes are 10 digits on real HS 2022 subheadings, line amounts are quantity × unit price,
// transaction totals are the sums of their lines, and goods carrying a watched brand are held.
// A seed gives the same rows every time, so screenshots, manuals and tests can rely on them.
package demo
