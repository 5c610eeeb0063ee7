// Reads one feed the way a Node.js app would, and prints what it saw as JSON on stdout.
//
//   node tests/node/read_feed.mjs <url> <rss|atom|json>
//
// RSS and Atom go through rss-parser; JSON Feed through @extractus/feed-extractor, plus a
// check of what JSON Feed 1.1 requires (version, title, items with a string id). Output:
// {"title", "items": [{"id", "title", "link", "authors", "date"}], "warnings": [...]}.
// Anything the parsers print with console.warn/console.error counts as a warning. Exit code
// 1 (with the reason on stderr) when the feed cannot be fetched or parsed.

import Parser from 'rss-parser'
import { extractFromJson } from '@extractus/feed-extractor'

const warnings = []
console.warn = (...args) => warnings.push(args.join(' '))
console.error = (...args) => warnings.push(args.join(' '))

const names = (value) =>
  (Array.isArray(value) ? value : value == null ? [] : [value])
    .map((v) => (typeof v === 'string' ? v : Array.isArray(v?.name) ? v.name[0] : v?.name ?? v?._))
    .filter((v) => typeof v === 'string')
    .map((v) => v.trim())

async function readXml (text, kind) {
  const parser = new Parser({
    customFields: {
      item: [
        ['dc:creator', 'creators', { keepArray: true }],
        ['author', 'atomAuthors', { keepArray: true }],
      ],
    },
  })
  const feed = await parser.parseString(text)
  const rootOk = kind === 'rss' ? /<rss[\s>]/.test(text) : /<feed[\s>]/.test(text)
  if (!rootOk) warnings.push(`not an ${kind} document`)
  return {
    title: feed.title,
    items: feed.items.map((item) => ({
      id: item.guid ?? item.id,
      title: item.title,
      link: item.link,
      authors: kind === 'rss' ? names(item.creators) : names(item.atomAuthors),
      date: item.isoDate,
    })),
  }
}

function checkJsonFeed (doc) {
  if (doc.version !== 'https://jsonfeed.org/version/1.1') warnings.push(`version ${doc.version}`)
  if (typeof doc.title !== 'string') warnings.push('feed title missing')
  if (!Array.isArray(doc.items)) throw new Error('items is not an array')
  for (const [i, item] of doc.items.entries()) {
    if (typeof item.id !== 'string' || !item.id) warnings.push(`item ${i}: id missing`)
    if (item.content_html === undefined && item.content_text === undefined) {
      warnings.push(`item ${i}: neither content_html nor content_text`)
    }
    if (item.date_published && Number.isNaN(Date.parse(item.date_published))) {
      warnings.push(`item ${i}: date_published is not RFC 3339`)
    }
    if (item.authors !== undefined && !Array.isArray(item.authors)) {
      warnings.push(`item ${i}: authors is not an array`)
    }
  }
}

function readJson (text) {
  const doc = JSON.parse(text)
  checkJsonFeed(doc)
  const feed = extractFromJson(doc, {
    descriptionMaxLen: 0,
    getExtraEntryFields: (item) => ({ authors: names(item.authors), rawId: item.id }),
  })
  return {
    title: feed.title,
    items: feed.entries.map((e) => ({
      id: e.rawId,
      title: e.title,
      link: e.link,
      authors: e.authors,
      date: e.published,
    })),
  }
}

async function main () {
  const [url, kind] = process.argv.slice(2)
  if (!url || !['rss', 'atom', 'json'].includes(kind)) {
    throw new Error('usage: node read_feed.mjs <url> <rss|atom|json>')
  }
  const response = await fetch(url, { signal: AbortSignal.timeout(15000) })
  if (!response.ok) throw new Error(`HTTP ${response.status} from ${url}`)
  const text = await response.text()
  const result = kind === 'json' ? readJson(text) : await readXml(text, kind)
  process.stdout.write(JSON.stringify({ ...result, warnings }) + '\n')
}

main().catch((err) => {
  process.stderr.write(`read_feed: ${err?.stack ?? err}\n`)
  process.exit(1)
})
