package redis

import goredis "github.com/redis/go-redis/v9"

// scripts are the Lua scripts of a Store: each read-modify-write that must be
// atomic is one script, which Redis runs alone. go-redis sends a script's
// SHA-1 (EVALSHA) and its source only when the server does not know it yet.
//
// Scripts name the keys they are given in KEYS, and build the names of
// records found through an index (a user's sessions, a family's tokens) from
// a prefix in ARGV: on Redis Cluster every key must share one slot, which a
// prefix with a hash tag gives.
type scripts struct {
	create, touch, deleteOne, deleteIndexed, sweep *goredis.Script
	createUser, userByEmail                        *goredis.Script
	revoked                                        *goredis.Script
	redeem                                         *goredis.Script
	publishKey, secret                             *goredis.Script
	incr                                           *goredis.Script
	readIndexed, updateUser                        *goredis.Script
}

func newScripts() scripts {
	return scripts{
		create:        goredis.NewScript(scriptCreate),
		touch:         goredis.NewScript(scriptTouch),
		deleteOne:     goredis.NewScript(scriptDeleteOne),
		deleteIndexed: goredis.NewScript(scriptDeleteIndexed),
		sweep:         goredis.NewScript(scriptSweep),
		createUser:    goredis.NewScript(scriptCreateUser),
		userByEmail:   goredis.NewScript(scriptUserByEmail),
		revoked:       goredis.NewScript(scriptRevoked),
		redeem:        goredis.NewScript(scriptRedeem),
		publishKey:    goredis.NewScript(scriptPublishKey),
		secret:        goredis.NewScript(scriptSecret),
		incr:          goredis.NewScript(scriptIncr),
		readIndexed:   goredis.NewScript(scriptReadIndexed),
		updateUser:    goredis.NewScript(scriptUpdateUser),
	}
}

// scriptCreate stores a record (a session or a refresh token) unless its key
// exists, and indexes it.
//
//	KEYS[1]  the record's hash
//	KEYS[2]  its owner's index (a user's sessions, a family's tokens)
//	KEYS[3]  the index of every record by when it dies
//	ARGV[1]  the record's member name in the indexes
//	ARGV[2]  when the key expires (unix ms)
//	ARGV[3]  when the record dies (unix ms)
//	ARGV[4]  now on the wall clock (unix ms): members of the owner's index
//	         whose key has expired by then are pruned
//	ARGV[5…] field, value, field, value… of the record
//
// It returns 1, or 0 when the key exists. The owner's index expires with the
// last of its records.
const scriptCreate = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[2], last[2])
return 1`

// scriptTouch sets the idle expiry of a session that exists, and with it the
// expiry of its key and its places in the indexes.
//
//	KEYS[1]  the session's hash
//	KEYS[2]  the index of every session by when it dies
//	ARGV[1]  the session's member name
//	ARGV[2]  the new idle expiry (unix ms)
//	ARGV[3]  the expiry grace (ms)
//	ARGV[4]  the prefix of users' session indexes
//
// It returns 1, or 0 when the session does not exist.
const scriptTouch = `
local v = redis.call('HMGET', KEYS[1], 'u', 'a')
if not v[1] then return 0 end
local e, a = tonumber(ARGV[2]), tonumber(v[2])
local dies = math.min(e, a)
local deadline = math.min(e + tonumber(ARGV[3]), a)
redis.call('HSET', KEYS[1], 'e', ARGV[2])
redis.call('PEXPIREAT', KEYS[1], string.format('%d', deadline))
redis.call('ZADD', KEYS[2], string.format('%d', dies), ARGV[1])
local index = ARGV[4] .. v[1]
redis.call('ZADD', index, string.format('%d', deadline), ARGV[1])
local last = redis.call('ZRANGE', index, -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', index, last[2])
return 1`

// scriptDeleteOne deletes a record and its places in the indexes.
//
//	KEYS[1]  the record's hash
//	KEYS[2]  the index of every record by when it dies
//	ARGV[1]  the record's member name
//	ARGV[2]  the field of the record that names its owner
//	ARGV[3]  the prefix of owners' indexes
//
// It returns 1, or 0 when the record did not exist.
const scriptDeleteOne = `
redis.call('ZREM', KEYS[2], ARGV[1])
local owner = redis.call('HGET', KEYS[1], ARGV[2])
if not owner then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', ARGV[3] .. owner, ARGV[1])
return 1`

// scriptDeleteIndexed deletes every record of an owner, and its index.
//
//	KEYS[1]  the owner's index
//	KEYS[2]  the index of every record by when it dies
//	ARGV[1]  the prefix of the records' keys
//
// It returns how many records it deleted.
const scriptDeleteIndexed = `
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
local n = 0
for i = 1, #members do
	n = n + redis.call('DEL', ARGV[1] .. members[i])
	redis.call('ZREM', KEYS[2], members[i])
end
redis.call('DEL', KEYS[1])
return n`

// scriptSweep deletes a batch of records that are dead at a time.
//
//	KEYS[1]  the index of every record by when it dies
//	ARGV[1]  the time (unix ms): records that die at or before it go
//	ARGV[2]  the most records to look at
//	ARGV[3]  the prefix of the records' keys
//	ARGV[4]  the field of a record that names its owner
//	ARGV[5]  the prefix of owners' indexes
//
// It returns {records deleted, members looked at}; the caller runs it again
// while a batch was full. A member whose key Redis already expired is
// removed from the index but not counted.
const scriptSweep = `
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
local n = 0
for i = 1, #members do
	local key = ARGV[3] .. members[i]
	local owner = redis.call('HGET', key, ARGV[4])
	if owner then
		n = n + redis.call('DEL', key)
		redis.call('ZREM', ARGV[5] .. owner, members[i])
	end
end
if #members > 0 then redis.call('ZREM', KEYS[1], unpack(members)) end
return {n, #members}`

// scriptCreateUser stores an account unless its id or its e-mail is taken.
//
//	KEYS[1]  the account's hash
//	KEYS[2]  the e-mail's key
//	KEYS[3]  the index of every account by creation
//	ARGV[1]  the user id
//	ARGV[2]  when the account was made (unix ms)
//	ARGV[3…] field, value, field, value… of the account
//
// It returns 1, or 0 when the id or the e-mail is taken.
const scriptCreateUser = `
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('SET', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
return 1`

// scriptUserByEmail reads the account an e-mail names, in one round trip.
//
//	KEYS[1]  the e-mail's key
//	ARGV[1]  the prefix of accounts' keys
//	ARGV[2…] the fields to read
//
// It returns the fields' values, or nil when the e-mail is unknown.
const scriptUserByEmail = `
local id = redis.call('GET', KEYS[1])
if not id then return false end
return redis.call('HMGET', ARGV[1] .. id, unpack(ARGV, 2))`

// scriptRevoked tells whether a token is revoked, in one round trip.
//
//	KEYS[1]  the valid-after times by user
//	KEYS[2]  the deny list, until by id
//	ARGV[1]  the user id
//	ARGV[2]  when the token was issued (unix ms)
//	ARGV[3]  now (unix ms)
//	ARGV[4…] the ids to look up in the deny list
//
// It returns 1 when revoked, 0 when not.
const scriptRevoked = `
local after = redis.call('ZSCORE', KEYS[1], ARGV[1])
if after and tonumber(after) > tonumber(ARGV[2]) then return 1 end
local now = tonumber(ARGV[3])
for i = 4, #ARGV do
	local denied = redis.call('ZSCORE', KEYS[2], ARGV[i])
	if denied and tonumber(denied) > now then return 1 end
end
return 0`

// scriptRedeem marks a live refresh token used unless it was.
//
//	KEYS[1]  the token's hash
//	ARGV[1]  now (unix ms)
//
// It returns {family, user id, created, expires, used, first (1 or 0)}, or
// nil for a token that is missing or dead at now.
const scriptRedeem = `
local v = redis.call('HMGET', KEYS[1], 'f', 'u', 'c', 'x', 'used')
if not v[1] or tonumber(v[4]) <= tonumber(ARGV[1]) then return false end
local first = 0
if not v[5] then
	redis.call('HSET', KEYS[1], 'used', ARGV[1])
	v[5] = ARGV[1]
	first = 1
end
return {v[1], v[2], v[3], v[4], v[5], first}`

// scriptPublishKey stores a public key, replacing one with its id, and
// forgets keys that have expired on the wall clock.
//
//	KEYS[1]  the keys, JSON by id
//	KEYS[2]  the keys' ids by expiry
//	ARGV[1]  the key id
//	ARGV[2]  the JSON record
//	ARGV[3]  its expiry (unix ms)
//	ARGV[4]  now on the wall clock (unix ms)
const scriptPublishKey = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[4])
if #old > 0 then
	redis.call('HDEL', KEYS[1], unpack(old))
	redis.call('ZREM', KEYS[2], unpack(old))
end
return 1`

// scriptSecret returns the secret stored in a key, storing the candidate
// first when there is none.
//
//	KEYS[1]  the secret's key
//	ARGV[1]  the candidate
const scriptSecret = `
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]`

// scriptIncr adds one to a counter, or starts it at 1 when it is absent or
// forgotten at now, and makes its key expire when it is forgotten.
//
//	KEYS[1]  the counter's hash
//	ARGV[1]  now (unix ms)
//	ARGV[2]  now plus the ttl (unix ms): when the counter is forgotten
//
// It returns the new count.
const scriptIncr = `
local v = redis.call('HMGET', KEYS[1], 'n', 'x')
local n = 1
if v[1] and tonumber(v[2]) > tonumber(ARGV[1]) then n = tonumber(v[1]) + 1 end
redis.call('HSET', KEYS[1], 'n', n, 'l', ARGV[1], 'x', ARGV[2])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return n`

// scriptReadIndexed reads the records a sorted set names, in its order (by
// score, then by name), in one round trip.
//
//	KEYS[1]  the index
//	ARGV[1]  the prefix of the records' keys
//	ARGV[2…] the fields to read
//
// It returns, for each record that exists, its name followed by the
// fields' values.
const scriptReadIndexed = `
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
local out = {}
for i = 1, #members do
	local v = redis.call('HMGET', ARGV[1] .. members[i], unpack(ARGV, 2))
	if v[1] then
		table.insert(v, 1, members[i])
		out[#out + 1] = v
	end
end
return out`

// scriptUpdateUser makes a change of an account that exists: it sets the
// fields given and no other, unless the change would leave no enabled
// administrator: an account that is one and does not stay one (by the
// fields given, or else as they are) needs another in the index of every
// account. Redis runs the script alone, so no other change comes between
// the read, that check and the write; the walk through the index stops at
// the first other administrator.
//
//	KEYS[1]      the account's hash
//	KEYS[2]      the index of every account
//	ARGV[1]      the prefix of accounts' keys
//	ARGV[2]      the account's id
//	ARGV[3]      the administrator role
//	ARGV[4]      n, how many fields follow to read
//	ARGV[5…4+n]  the fields to read: the account before the change
//	ARGV[5+n…]   field, value, field, value… to set ('r' the role, 'd' "1"
//	             when disabled)
//
// It returns {1, the values of the fields read}, {0} when the account does
// not exist, or {-1} when it is the last enabled administrator and the
// change would end that.
const scriptUpdateUser = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
local n = tonumber(ARGV[4])
local before = redis.call('HMGET', KEYS[1], unpack(ARGV, 5, 4 + n))
local cur = redis.call('HMGET', KEYS[1], 'r', 'd')
local role, dis = cur[1], cur[2]
for i = 5 + n, #ARGV, 2 do
	if ARGV[i] == 'r' then role = ARGV[i + 1] elseif ARGV[i] == 'd' then dis = ARGV[i + 1] end
end
if cur[1] == ARGV[3] and cur[2] ~= '1' and not (role == ARGV[3] and dis ~= '1') then
	local ids = redis.call('ZRANGE', KEYS[2], 0, -1)
	local other = false
	for i = 1, #ids do
		if ids[i] ~= ARGV[2] then
			local v = redis.call('HMGET', ARGV[1] .. ids[i], 'r', 'd')
			if v[1] == ARGV[3] and v[2] ~= '1' then
				other = true
				break
			end
		end
	end
	if not other then return {-1} end
end
if #ARGV >= 5 + n then redis.call('HSET', KEYS[1], unpack(ARGV, 5 + n)) end
table.insert(before, 1, 1)
return before`
