#!/usr/bin/env python3
"""tests/hostile/bad_input.py ROUND NOW_MS OUT: write one round of hostile
messages interleaved with valid ticks for kcat -P -D '\\x1e' -K '\\x1f' -Z.

Each message is KEY \\x1f VALUE \\x1e; an empty VALUE is sent as NULL (a
tombstone).  Prints "name reason" for every message to stdout (reason "ok"
for a valid tick), in order, so the test knows what must land where.
Valid ticks get distinct symbols per round so their count can be checked.
"""
import json, random, sys

rnd, now_ms, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = random.Random(rnd)


def iso(ms, off_min=0, frac='.{ms:03d}', sep='T', z='{sign}{hh:02d}:{mm:02d}'):
    import datetime
    t = datetime.datetime.utcfromtimestamp(ms / 1000) + datetime.timedelta(minutes=off_min)
    sign = '-' if off_min < 0 else '+'
    hh, mm = divmod(abs(off_min), 60)
    return (t.strftime('%Y-%m-%d') + sep + t.strftime('%H:%M:%S') +
            frac.format(ms=ms % 1000) + z.format(sign=sign, hh=hh, mm=mm))


def tick(i, **kw):
    ms = now_ms - 60000 + i
    d = {'timestamp': iso(ms), 'timestamp_ms': ms, 'symbol': f'R{rnd}:S{i}',
         'price': 100.5 + i, 'volume': 0.25, 'received_at': iso(ms + 40)}
    d.update(kw)
    return d


def js(d):
    return json.dumps(d).encode()


ms0 = now_ms - 50000
good = tick(0)
bad = [
    ('malformed_json', js(good)[:-1], 'bad_json'),
    ('trailing_garbage', js(good) + b'xx', 'bad_json'),
    ('single_quotes', b"{'symbol': 'X'}", 'bad_json'),
    ('deep_10000', b'[' * 10000 + b']' * 10000, 'too_deep'),
    ('deep_obj_17', b'{"a":' * 17 + b'1' + b'}' * 17, 'too_deep'),
    ('value_1MiB', js(tick(1, symbol='A' * (1 << 20))), 'too_large'),
    ('invalid_utf8', js(good).replace(b'R', b'\xc3\x28', 1), 'bad_json'),
    ('overlong_utf8', js(good).replace(b'R', b'\xc0\xaf', 1), 'bad_json'),
    ('nan', js(good).replace(b'100.5', b'NaN'), 'bad_json'),
    ('infinity', js(good).replace(b'100.5', b'Infinity'), 'bad_json'),
    ('price_1e400', js(good).replace(b'100.5', b'1e400'), 'bad_price'),
    ('volume_-1e400', js(good).replace(b'0.25', b'-1e400'), 'bad_volume'),
    ('duplicate_key', js(good)[:-1] + b', "price": 2.5}', 'duplicate_field'),
    ('null_price', js(tick(2, price=None)), 'wrong_type'),
    ('null_symbol', js(tick(2, symbol=None)), 'wrong_type'),
    ('string_price', js(tick(2, price='100.5')), 'wrong_type'),
    ('array_volume', js(tick(2, volume=[1])), 'wrong_type'),
    ('bool_ts_ms', js(tick(2, timestamp_ms=True)), 'wrong_type'),
    ('empty_symbol', js(tick(2, symbol='')), 'bad_symbol'),
    ('empty_timestamp', js(tick(2, timestamp='')), 'bad_time'),
    ('empty_object', b'{}', 'missing_field'),
    ('top_array', b'[1,2]', 'not_object'),
    ('top_string', b'"tick"', 'not_object'),
    ('top_number', b'42', 'not_object'),
    ('tombstone', b'', 'empty'),
    ('key_only', b'', 'empty'),
    ('binary_garbage', bytes(rng.randrange(0, 0x1e) for _ in range(300)), 'bad_json'),
    ('binary_garbage_hi', bytes(rng.randrange(0x80, 0x100) for _ in range(300)), 'bad_json'),
    ('nul_bytes', b'\0' * 64, 'bad_json'),
    ('ts_no_offset', js(tick(2, timestamp=iso(ms0 + 2, z=''))), 'bad_time'),
    ('ts_feb_30', js(tick(2, timestamp='2025-02-30T00:00:00Z')), 'bad_time'),
    ('ts_second_60', js(tick(2, timestamp=iso(ms0)[:17] + '60' + iso(ms0)[19:])), 'bad_time'),
    ('ts_hour_24', js(tick(2, timestamp=iso(ms0)[:11] + '24' + iso(ms0)[13:])), 'bad_time'),
    ('ts_offset_24h', js(tick(2, timestamp=iso(ms0, z='+24:00'))), 'bad_time'),
    ('ts_10_frac_digits', js(tick(2, timestamp=iso(ms0, frac='.1234567890'))), 'bad_time'),
    ('ts_empty_frac', js(tick(2, timestamp=iso(ms0, frac='.'))), 'bad_time'),
    ('ts_words', js(tick(2, timestamp='yesterday')), 'bad_time'),
    ('ts_ms_float', js(tick(2, timestamp_ms=float(ms0))), 'bad_time'),
    ('ts_ms_2008', js(tick(2, timestamp_ms=1199145600000, timestamp='2008-01-01T00:00:00Z')), 'time_out_of_range'),
    ('ts_ms_huge', js(good).replace(str(good['timestamp_ms']).encode(), b'99999999999999999999999'), 'time_out_of_range'),
    ('ts_mismatch', js(tick(2, timestamp_ms=now_ms - 60000 + 3)), 'time_mismatch'),
]
# Odd but valid ISO forms: each is a tick that must land.
i0 = 100


def odd(i, **fmt):
    ms = now_ms - 60000 + i
    return js(tick(i, timestamp=iso(ms, **fmt)))


valid_odd = [
    ('iso_z_lower', odd(i0, z='z')),
    ('iso_Z', odd(i0 + 1, z='Z')),
    ('iso_space_sep', odd(i0 + 2, sep=' ')),
    ('iso_t_lower', odd(i0 + 3, sep='t')),
    ('iso_plus0530', odd(i0 + 4, off_min=330)),
    ('iso_minus0400', odd(i0 + 5, off_min=-240)),
    ('iso_minus0000', odd(i0 + 6, z='-00:00')),
    ('iso_hhmm', odd(i0 + 7, off_min=90, z='{sign}{hh:02d}{mm:02d}')),
    ('iso_hh', odd(i0 + 8, off_min=-180, z='{sign}{hh:02d}')),
    ('iso_comma_frac', odd(i0 + 9, frac=',{ms:03d}999')),
    ('iso_9_digits', odd(i0 + 10, frac='.{ms:03d}456789')),
    ('iso_unknown_fields', js(dict(tick(i0 + 11), extra={'a': [1, None, True]}))),
    ('iso_escaped_symbol', js(tick(i0 + 12)).replace(f'R{rnd}'.encode(), f'\\u0052{rnd}'.encode())),
]

msgs = []
n = 0
for name, value, reason in bad:
    msgs.append((f'good{n}', js(tick(200 + n)), 'ok'))
    n += 1
    msgs.append((name, value, reason))
for name, value in valid_odd:
    msgs.append((name, value, 'ok'))

with open(out, 'wb') as f:
    for name, value, reason in msgs:
        key = b'' if name == 'tombstone' else name.encode()
        assert b'\x1e' not in value and b'\x1f' not in value, name
        f.write(key + b'\x1f' + value + b'\x1e')
        print(name, reason)
