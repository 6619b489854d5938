package api

import (
	"encoding/json"
	"reflect"
	"strings"
	"time"
)

// OpenAPI builds the OpenAPI 3 document from the route table, with request
// and response schemas derived from the Go types the handlers decode and
// return.
func (a *API) OpenAPI() map[string]any {
	return a.openAPI(a.routes, "/api/v1/openapi.json", "Admit cloud API", "Cloud box office: venues, seat maps, sessions, prices, holds, orders, signed tickets, refunds and audit. ")
}

// AgencyOpenAPI is the document of the agencies' sales interface alone:
// what an agency's developer needs, and all the test client reads.
func (a *API) AgencyOpenAPI() map[string]any {
	var rs []route
	for _, r := range a.routes {
		if r.keyAuth {
			rs = append(rs, r)
		}
	}
	return a.openAPI(rs, "/api/v1/agency/openapi.json", "Admit agency sales API", "Agencies sell an organiser's tickets with their API key as the bearer token "+
		"(Authorization: Bearer agk_…), within their quotas and their key's request rate (429 with Retry-After beyond it). "+
		"Every order carries an Idempotency-Key header: a retry with the same key and body answers the same order (200, Idempotent-Replayed: true); "+
		"the same key with another body is refused (409 idempotency_key_reused). ")
}

func (a *API) openAPI(routes []route, self, title, about string) map[string]any {
	schemas := map[string]any{}
	paths := map[string]map[string]any{}
	for _, r := range routes {
		p := "/api/v1" + openAPIPath(r.path)
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		op := map[string]any{
			"summary":     r.summary,
			"tags":        []string{r.tag},
			"operationId": operationID(r.method, r.path),
		}
		var params []any
		for _, seg := range strings.Split(r.path, "/") {
			if name, ok := strings.CutPrefix(seg, ":"); ok {
				typ := "integer"
				// Device ids are strings ("dev-…"); other ids are integers.
				if name == "label" || name == "number" || name == "channel" || name == "party" || strings.HasPrefix(r.path, "/devices/") {
					typ = "string"
				}
				params = append(params, map[string]any{"name": name, "in": "path", "required": true, "schema": map[string]any{"type": typ}})
			}
		}
		for _, h := range r.headers {
			params = append(params, map[string]any{"name": h, "in": "header", "required": true, "schema": map[string]any{"type": "string", "maxLength": 64}})
		}
		for _, q := range r.query {
			params = append(params, map[string]any{"name": q, "in": "query", "required": false, "schema": map[string]any{"type": "string"}})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if r.body != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(r.body), schemas)}}}
		}
		ok := map[string]any{"description": "success"}
		if r.resp != nil {
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(r.resp), schemas)}}
		}
		status := "200"
		if r.method == "POST" && !strings.Contains(r.path, "login") && !strings.HasSuffix(r.path, "verify") && !strings.HasSuffix(r.path, "approve") && !strings.HasSuffix(r.path, "reject") && !strings.HasSuffix(r.path, "by-holder") {
			status = "201"
		}
		if r.path == "/auth/logout" {
			status = "204"
		}
		responses := map[string]any{status: ok, "default": map[string]any{"description": "error",
			"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}}
		op["responses"] = responses
		switch {
		case r.keyAuth:
			op["security"] = []any{map[string]any{"agencyKey": []string{}}}
			responses["429"] = map[string]any{"description": "over the key's request rate: retry after the Retry-After header's seconds",
				"headers": map[string]any{"Retry-After": map[string]any{"schema": map[string]any{"type": "integer"}}}}
			if r.method == "POST" {
				responses["200"] = map[string]any{"description": "a retry: the order the Idempotency-Key made", "content": ok["content"]}
			}
		case !r.public:
			op["security"] = []any{map[string]any{"bearer": []string{}}}
		}
		paths[p][strings.ToLower(r.method)] = op
	}
	if self != "/api/v1/agency/openapi.json" {
		paths["/api/v1/agency/openapi.json"] = map[string]any{"get": map[string]any{"summary": "The agency sales API's own document", "operationId": "getAgencyOpenAPI",
			"tags": []string{"agency"}, "responses": map[string]any{"200": map[string]any{"description": "the OpenAPI document"}}}}
	}
	paths[self] = map[string]any{"get": map[string]any{"summary": "This document", "operationId": "getOpenAPI", "tags": []string{"system"},
		"responses": map[string]any{"200": map[string]any{"description": "the OpenAPI document"}}}}
	schemas["Error"] = schemaOf(reflect.TypeOf(errorBody{}), schemas)
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": title, "version": a.opts.Version,
			"description": about + "Errors are JSON {\"error\":{\"code\",\"message\",\"fields\",\"seats\"}} with a stable code."},
		"paths": paths,
		"components": map[string]any{
			"schemas": schemas,
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"},
				"agencyKey": map[string]any{"type": "http", "scheme": "bearer", "description": "an agency's API key"}},
		},
	}
}

func openAPIPath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if name, ok := strings.CutPrefix(s, ":"); ok {
			segs[i] = "{" + name + "}"
		}
	}
	return strings.Join(segs, "/")
}

func operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, s := range strings.Split(path, "/") {
		s = strings.TrimPrefix(s, ":")
		for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '_' }) {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

var (
	timeType = reflect.TypeOf(time.Time{})
	rawType  = reflect.TypeOf(json.RawMessage{})
)

// schemaOf returns a JSON schema for t, registering named structs as
// components and referring to them.
func schemaOf(t reflect.Type, schemas map[string]any) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawType:
		return map[string]any{}
	}
	switch t.Kind() {
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "format": "byte"}
		}
		return map[string]any{"type": "array", "items": schemaOf(t.Elem(), schemas)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem(), schemas)}
	case reflect.Struct:
		name := t.Name()
		if name == "" {
			return structSchema(t, schemas)
		}
		name = componentName(t)
		if _, ok := schemas[name]; !ok {
			schemas[name] = map[string]any{} // break cycles
			schemas[name] = structSchema(t, schemas)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

func componentName(t reflect.Type) string {
	pkg := t.PkgPath()
	pkg = pkg[strings.LastIndex(pkg, "/")+1:]
	n := t.Name()
	if pkg == "api" {
		return strings.ToUpper(n[:1]) + n[1:]
	}
	return strings.ToUpper(pkg[:1]) + pkg[1:] + n
}

func structSchema(t reflect.Type, schemas map[string]any) map[string]any {
	props := map[string]any{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			inner := structSchema(f.Type, schemas)
			for k, v := range inner["properties"].(map[string]any) {
				props[k] = v
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		props[name] = schemaOf(f.Type, schemas)
	}
	return map[string]any{"type": "object", "properties": props}
}
