package redis

import (
	"context"
	"errors"
	"strconv"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sessionguard/sessionguard/server/store"
)

// The scripts of store.SecondFactors, each one atomic step on the server.
// KEYS[1] is the user's factor (tf:), KEYS[2] their recovery codes (tfr:).
var (
	// scriptBeginFactor stores a pending factor with secret ARGV[1] unless
	// the user's factor is enabled. It returns 1, or 0 when it is.
	scriptBeginFactor = goredis.NewScript(`
if redis.call('HGET', KEYS[1], 'e') == '1' then return 0 end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[1], 's', ARGV[1], 'e', '0', 't', '0')
return 1`)

	// scriptEnableFactor enables the pending factor whose secret is
	// ARGV[1], at step ARGV[2], with the recovery code hashes ARGV[3…]. It
	// returns 1, or 0 when there is no such pending factor.
	scriptEnableFactor = goredis.NewScript(`
if redis.call('HGET', KEYS[1], 'e') ~= '0' or redis.call('HGET', KEYS[1], 's') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'e', '1', 't', ARGV[2])
redis.call('DEL', KEYS[2])
if #ARGV > 2 then redis.call('SADD', KEYS[2], unpack(ARGV, 3)) end
return 1`)

	// scriptAcceptStep moves the last step of the enabled factor whose
	// secret is ARGV[1] to ARGV[2] if that is later. It returns 1, or 0
	// when it is not or there is no such enabled factor.
	scriptAcceptStep = goredis.NewScript(`
if redis.call('HGET', KEYS[1], 'e') ~= '1' or redis.call('HGET', KEYS[1], 's') ~= ARGV[1] then return 0 end
if tonumber(ARGV[2]) <= tonumber(redis.call('HGET', KEYS[1], 't')) then return 0 end
redis.call('HSET', KEYS[1], 't', ARGV[2])
return 1`)
)

// factorKeys are the keys of the user's factor and recovery codes.
func (s *Store) factorKeys(userID string) []string {
	return []string{s.k.factor + userID, s.k.recoveryCodes + userID}
}

// SecondFactor implements store.SecondFactors: the factor and the number
// of its codes, read in one MULTI.
func (s *Store) SecondFactor(ctx context.Context, userID string) (store.SecondFactor, bool, error) {
	var (
		fields map[string]string
		codes  int64
	)
	keys := s.factorKeys(userID)
	err := s.do(ctx, "read second factor", func(ctx context.Context) error {
		var (
			get  *goredis.MapStringStringCmd
			card *goredis.IntCmd
		)
		_, err := s.client.TxPipelined(ctx, func(p goredis.Pipeliner) error {
			get = p.HGetAll(ctx, keys[0])
			card = p.SCard(ctx, keys[1])
			return nil
		})
		if err != nil {
			return err
		}
		fields, codes = get.Val(), card.Val()
		return nil
	})
	if err != nil || len(fields) == 0 {
		return store.SecondFactor{}, false, err
	}
	step, err := strconv.ParseInt(fields["t"], 10, 64)
	if err != nil || fields["s"] == "" {
		return store.SecondFactor{}, false, wrap(ctx, "read second factor", errors.New("malformed record"))
	}
	return store.SecondFactor{
		UserID:        userID,
		Secret:        []byte(fields["s"]),
		Enabled:       fields["e"] == "1",
		LastStep:      step,
		RecoveryCodes: int(codes),
	}, true, nil
}

// BeginSecondFactor implements store.SecondFactors in one script.
func (s *Store) BeginSecondFactor(ctx context.Context, userID string, secret []byte) (bool, error) {
	if err := store.CheckFactorArgs(userID, [][]byte{secret}, nil, nil); err != nil {
		return false, err
	}
	return s.runFactor(ctx, "begin second factor", scriptBeginFactor, userID, secret)
}

// EnableSecondFactor implements store.SecondFactors in one script.
func (s *Store) EnableSecondFactor(ctx context.Context, userID string, secret []byte, step int64, recoveryHashes [][]byte) (bool, error) {
	if err := store.CheckFactorArgs(userID, [][]byte{secret}, []int64{step}, recoveryHashes); err != nil {
		return false, err
	}
	args := make([]any, 0, 2+len(recoveryHashes))
	args = append(args, secret, step)
	for _, h := range recoveryHashes {
		args = append(args, member(h))
	}
	return s.runFactor(ctx, "enable second factor", scriptEnableFactor, userID, args...)
}

// AcceptStep implements store.SecondFactors in one script.
func (s *Store) AcceptStep(ctx context.Context, userID string, secret []byte, step int64) (bool, error) {
	if err := store.CheckFactorArgs(userID, [][]byte{secret}, []int64{step}, nil); err != nil {
		return false, err
	}
	return s.runFactor(ctx, "accept time step", scriptAcceptStep, userID, secret, step)
}

// UseRecoveryCode implements store.SecondFactors: only an enabled factor
// has codes, and SREM removes a member for one caller alone.
func (s *Store) UseRecoveryCode(ctx context.Context, userID string, hash []byte) (bool, error) {
	if err := store.CheckFactorArgs(userID, nil, nil, [][]byte{hash}); err != nil {
		return false, err
	}
	var n int64
	err := s.do(ctx, "use recovery code", func(ctx context.Context) error {
		var err error
		n, err = s.client.SRem(ctx, s.k.recoveryCodes+userID, member(hash)).Result()
		return err
	})
	return n > 0, err
}

// DeleteSecondFactor implements store.SecondFactors: one DEL of both keys
// (a user has codes only with a factor).
func (s *Store) DeleteSecondFactor(ctx context.Context, userID string) (bool, error) {
	if err := store.CheckFactorArgs(userID, nil, nil, nil); err != nil {
		return false, err
	}
	var n int64
	err := s.do(ctx, "delete second factor", func(ctx context.Context) error {
		var err error
		n, err = s.client.Del(ctx, s.factorKeys(userID)...).Result()
		return err
	})
	return n > 0, err
}

// runFactor runs a script of store.SecondFactors on the user's keys and
// reports whether it answered 1.
func (s *Store) runFactor(ctx context.Context, op string, script *goredis.Script, userID string, args ...any) (bool, error) {
	var n int64
	err := s.do(ctx, op, func(ctx context.Context) error {
		var err error
		n, err = script.Run(ctx, s.client, s.factorKeys(userID), args...).Int64()
		return err
	})
	return n == 1, err
}
