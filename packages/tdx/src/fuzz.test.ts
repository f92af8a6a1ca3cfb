import { fuzzDecoder } from '@mosaik/tooling/fuzz';
import { ca, MRTD, mock } from '../test/fixtures.js';
import { QuoteParseError } from './errors.js';
import { MockTdxProvider } from './mock.js';
import { parseQuote } from './quote.js';

const reportData = Uint8Array.from({ length: 64 }, (_, i) => i);
const v4 = mock.quote(reportData);
const v5 = new MockTdxProvider({ ca, version: 5, mrtd: MRTD }).quote(reportData);

fuzzDecoder('tdx quote', {
  decode: parseQuote,
  samples: [v4, v5],
  isTyped: (error) => error instanceof QuoteParseError,
});
