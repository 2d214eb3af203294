package sdk

import (
	"encoding/json"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/outpost-soc/outpost/proto/outpost/connector/v1"
)

// This file converts between SDK types and the wire types of
// proto/outpost/connector/v1. Plugin authors never need it: Serve and
// sdk/remote (the host side) use it, and keeping both directions in one place
// keeps them in step.

var categoryToProto = map[Category]pb.Category{
	CategorySecurity:       pb.Category_CATEGORY_SECURITY,
	CategoryCommunication:  pb.Category_CATEGORY_COMMUNICATION,
	CategoryMonitoring:     pb.Category_CATEGORY_MONITORING,
	CategoryCloud:          pb.Category_CATEGORY_CLOUD,
	CategoryAuthentication: pb.Category_CATEGORY_AUTHENTICATION,
}

var capabilityToProto = map[Capability]pb.Capability{
	CapabilityPoll:      pb.Capability_CAPABILITY_POLL,
	CapabilityLostFound: pb.Capability_CAPABILITY_LOST_FOUND,
	CapabilityFallback:  pb.Capability_CAPABILITY_FALLBACK,
	CapabilityMirror:    pb.Capability_CAPABILITY_MIRROR,
}

var fieldTypeToProto = map[FieldType]pb.FieldType{
	FieldString: pb.FieldType_FIELD_TYPE_STRING,
	FieldInt:    pb.FieldType_FIELD_TYPE_INT,
	FieldBool:   pb.FieldType_FIELD_TYPE_BOOL,
	FieldURL:    pb.FieldType_FIELD_TYPE_URL,
	FieldEnum:   pb.FieldType_FIELD_TYPE_ENUM,
	FieldSecret: pb.FieldType_FIELD_TYPE_SECRET,
}

var iocTypeToProto = map[IOCType]pb.IocType{
	IOCUnspecified: pb.IocType_IOC_TYPE_UNSPECIFIED,
	IOCDomain:      pb.IocType_IOC_TYPE_DOMAIN,
	IOCIPAddress:   pb.IocType_IOC_TYPE_IP_ADDRESS,
	IOCEmail:       pb.IocType_IOC_TYPE_EMAIL,
	IOCHash:        pb.IocType_IOC_TYPE_HASH,
}

var changeKindToProto = map[ChangeKind]pb.ChangeKind{
	ChangeStatus:  pb.ChangeKind_CHANGE_KIND_STATUS,
	ChangeAssign:  pb.ChangeKind_CHANGE_KIND_ASSIGN,
	ChangeClose:   pb.ChangeKind_CHANGE_KIND_CLOSE,
	ChangeComment: pb.ChangeKind_CHANGE_KIND_COMMENT,
	ChangeNotify:  pb.ChangeKind_CHANGE_KIND_NOTIFY,
}

func invert[K, V comparable](m map[K]V) map[V]K {
	out := make(map[V]K, len(m))
	for k, v := range m {
		out[v] = k
	}
	return out
}

var (
	categoryFromProto   = invert(categoryToProto)
	capabilityFromProto = invert(capabilityToProto)
	fieldTypeFromProto  = invert(fieldTypeToProto)
	iocTypeFromProto    = invert(iocTypeToProto)
	changeKindFromProto = invert(changeKindToProto)
)

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func fromTS(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime().UTC()
}

func describeToProto(d *DescribeResponse) *pb.DescribeResponse {
	out := &pb.DescribeResponse{
		Name:         d.Name,
		Version:      d.Version,
		Vendor:       d.Vendor,
		Category:     categoryToProto[d.Category],
		ConfigSchema: &pb.ConfigSchema{},
		SdkVersion:   d.SDKVersion,
		DefaultSchedule: &pb.Schedule{
			NewIntervalS:       d.DefaultSchedule.NewIntervalS,
			LostFoundIntervalS: d.DefaultSchedule.LostFoundIntervalS,
			LostFoundLookbackS: d.DefaultSchedule.LostFoundLookbackS,
			FallbackIntervalS:  d.DefaultSchedule.FallbackIntervalS,
			FallbackLookbackS:  d.DefaultSchedule.FallbackLookbackS,
			InitialLookbackS:   d.DefaultSchedule.InitialLookbackS,
		},
	}
	for _, c := range d.Capabilities {
		out.Capabilities = append(out.Capabilities, capabilityToProto[c])
	}
	for _, f := range d.Schema.Fields {
		def := ""
		if f.Default != nil {
			b, _ := json.Marshal(f.Default)
			def = string(b)
		}
		out.ConfigSchema.Fields = append(out.ConfigSchema.Fields, &pb.ConfigField{
			Name: f.Name, Type: fieldTypeToProto[f.Type], Required: f.Required, Secret: f.IsSecret(),
			DefaultValue: def, Help: f.Help, EnumValues: f.Enum,
		})
	}
	return out
}

// DescribeFromProto converts a wire manifest.
func DescribeFromProto(p *pb.DescribeResponse) *DescribeResponse {
	d := &DescribeResponse{
		Name: p.GetName(), Version: p.GetVersion(), Vendor: p.GetVendor(),
		Category: categoryFromProto[p.GetCategory()], SDKVersion: p.GetSdkVersion(),
		Capabilities: []Capability{},
	}
	for _, c := range p.GetCapabilities() {
		if v, ok := capabilityFromProto[c]; ok {
			d.Capabilities = append(d.Capabilities, v)
		}
	}
	for _, f := range p.GetConfigSchema().GetFields() {
		var def any
		if f.GetDefaultValue() != "" {
			_ = json.Unmarshal([]byte(f.GetDefaultValue()), &def)
		}
		ft, ok := fieldTypeFromProto[f.GetType()]
		if !ok {
			ft = FieldType(f.GetType().String())
		}
		d.Schema.Fields = append(d.Schema.Fields, Field{
			Name: f.GetName(), Type: ft, Required: f.GetRequired(), Secret: f.GetSecret(),
			Default: def, Help: f.GetHelp(), Enum: f.GetEnumValues(),
		})
	}
	if s := p.GetDefaultSchedule(); s != nil {
		d.DefaultSchedule = Schedule{
			NewIntervalS: s.GetNewIntervalS(), LostFoundIntervalS: s.GetLostFoundIntervalS(),
			LostFoundLookbackS: s.GetLostFoundLookbackS(), FallbackIntervalS: s.GetFallbackIntervalS(),
			FallbackLookbackS: s.GetFallbackLookbackS(), InitialLookbackS: s.GetInitialLookbackS(),
		}
	}
	return d
}

// EventToProto converts an event for the wire.
func EventToProto(e Event) *pb.Event {
	out := &pb.Event{
		OriginalId: e.OriginalID, Title: e.Title, Description: e.Description,
		Severity: int32(e.Severity),
		Classification: &pb.Classification{
			Type: e.Classification.Type, Subtype: e.Classification.Subtype, Vendor: e.Classification.Vendor,
		},
		Url: e.URL, DetectionTime: ts(e.DetectionTime), CreationTime: ts(e.CreationTime),
		UpdateTime: ts(e.UpdateTime), MitreTags: e.MitreTags, Actions: e.Actions,
		DetectionEngines: e.DetectionEngines, Raw: e.Raw,
	}
	for _, o := range e.Observables {
		if po := observableToProto(o); po != nil {
			out.Observables = append(out.Observables, po)
		}
	}
	for _, i := range e.IOCs {
		out.Iocs = append(out.Iocs, &pb.Ioc{Indicator: i.Indicator, Type: iocTypeToProto[i.Type], ExpiresAt: ts(i.ExpiresAt)})
	}
	return out
}

// EventFromProto converts a wire event.
func EventFromProto(p *pb.Event) Event {
	e := Event{
		OriginalID: p.GetOriginalId(), Title: p.GetTitle(), Description: p.GetDescription(),
		Severity: int(p.GetSeverity()),
		Classification: Classification{
			Type: p.GetClassification().GetType(), Subtype: p.GetClassification().GetSubtype(),
			Vendor: p.GetClassification().GetVendor(),
		},
		URL: p.GetUrl(), DetectionTime: fromTS(p.GetDetectionTime()), CreationTime: fromTS(p.GetCreationTime()),
		UpdateTime: fromTS(p.GetUpdateTime()), MitreTags: p.GetMitreTags(), Actions: p.GetActions(),
		DetectionEngines: p.GetDetectionEngines(), Raw: p.GetRaw(),
	}
	for _, po := range p.GetObservables() {
		if o, ok := observableFromProto(po); ok {
			e.Observables = append(e.Observables, o)
		}
	}
	for _, i := range p.GetIocs() {
		t, ok := iocTypeFromProto[i.GetType()]
		if !ok {
			t = IOCUnspecified
		}
		e.IOCs = append(e.IOCs, IOC{Indicator: i.GetIndicator(), Type: t, ExpiresAt: fromTS(i.GetExpiresAt())})
	}
	return e
}

func observableToProto(o Observable) *pb.Observable {
	switch {
	case o.Type == ObservableUser && o.User != nil:
		u := o.User
		return &pb.Observable{Kind: &pb.Observable_User{User: &pb.User{Name: u.Name, Email: u.Email, Domain: u.Domain, UserId: u.UserID}}}
	case o.Type == ObservableHost && o.Host != nil:
		h := o.Host
		return &pb.Observable{Kind: &pb.Observable_Host{Host: &pb.Host{Hostname: h.Hostname, Ip: h.IP, Os: h.OS, Mac: h.MAC}}}
	case o.Type == ObservableIP && o.IP != nil:
		return &pb.Observable{Kind: &pb.Observable_Ip{Ip: &pb.Ip{Address: o.IP.Address}}}
	case o.Type == ObservableDomain && o.Domain != nil:
		return &pb.Observable{Kind: &pb.Observable_Domain{Domain: &pb.Domain{Name: o.Domain.Name}}}
	case o.Type == ObservableFile && o.File != nil:
		f := o.File
		return &pb.Observable{Kind: &pb.Observable_File{File: &pb.File{Name: f.Name, Path: f.Path, Md5: f.MD5, Sha1: f.SHA1, Sha256: f.SHA256, Size: f.Size}}}
	case o.Type == ObservableEmail && o.Email != nil:
		return &pb.Observable{Kind: &pb.Observable_Email{Email: &pb.EmailAddress{Address: o.Email.Address, DisplayName: o.Email.DisplayName}}}
	case o.Type == ObservableNetworkTraffic && o.NetworkTraffic != nil:
		n := o.NetworkTraffic
		return &pb.Observable{Kind: &pb.Observable_NetworkTraffic{NetworkTraffic: &pb.NetworkTraffic{
			SrcIp: n.SrcIP, SrcPort: int32(n.SrcPort), DstIp: n.DstIP, DstPort: int32(n.DstPort), Protocol: n.Protocol,
		}}}
	}
	return nil
}

func observableFromProto(p *pb.Observable) (Observable, bool) {
	switch k := p.GetKind().(type) {
	case *pb.Observable_User:
		return UserObservable(User{Name: k.User.GetName(), Email: k.User.GetEmail(), Domain: k.User.GetDomain(), UserID: k.User.GetUserId()}), true
	case *pb.Observable_Host:
		return HostObservable(Host{Hostname: k.Host.GetHostname(), IP: k.Host.GetIp(), OS: k.Host.GetOs(), MAC: k.Host.GetMac()}), true
	case *pb.Observable_Ip:
		return IPObservable(k.Ip.GetAddress()), true
	case *pb.Observable_Domain:
		return DomainObservable(k.Domain.GetName()), true
	case *pb.Observable_File:
		f := k.File
		return FileObservable(File{Name: f.GetName(), Path: f.GetPath(), MD5: f.GetMd5(), SHA1: f.GetSha1(), SHA256: f.GetSha256(), Size: f.GetSize()}), true
	case *pb.Observable_Email:
		return EmailObservable(EmailAddress{Address: k.Email.GetAddress(), DisplayName: k.Email.GetDisplayName()}), true
	case *pb.Observable_NetworkTraffic:
		n := k.NetworkTraffic
		return NetworkTrafficObservable(NetworkTraffic{SrcIP: n.GetSrcIp(), SrcPort: int(n.GetSrcPort()), DstIP: n.GetDstIp(), DstPort: int(n.GetDstPort()), Protocol: n.GetProtocol()}), true
	}
	return Observable{}, false
}

// ChangeToProto converts a change for the wire.
func ChangeToProto(c Change) *pb.Change {
	return &pb.Change{
		ChangeId: c.ID, Kind: changeKindToProto[c.Kind], OriginalId: c.OriginalID, CaseId: c.CaseID,
		Status: c.Status, AssignedTo: c.AssignedTo, CloseNotes: c.CloseNotes,
		FinalClassification: c.FinalClassification, Comment: c.Comment, Author: c.Author,
		Notification: &pb.Notification{
			Title: c.Notification.Title, Text: c.Notification.Text,
			Severity: c.Notification.Severity, Link: c.Notification.Link,
		},
	}
}

// ChangeFromProto converts a wire change.
func ChangeFromProto(p *pb.Change) Change {
	return Change{
		ID: p.GetChangeId(), Kind: changeKindFromProto[p.GetKind()], OriginalID: p.GetOriginalId(),
		CaseID: p.GetCaseId(), Status: p.GetStatus(), AssignedTo: p.GetAssignedTo(),
		CloseNotes: p.GetCloseNotes(), FinalClassification: p.GetFinalClassification(),
		Comment: p.GetComment(), Author: p.GetAuthor(),
		Notification: Notification{
			Title: p.GetNotification().GetTitle(), Text: p.GetNotification().GetText(),
			Severity: p.GetNotification().GetSeverity(), Link: p.GetNotification().GetLink(),
		},
	}
}

// ErrorFromStatus turns a plugin's gRPC status error back into the SDK error
// it was made from, so the host can use errors.As. A status without an
// Outpost detail is returned as it is: a bare Unavailable from the transport
// (a crashed plugin) is not a vendor rate limit and must not hold the
// integration as one.
func ErrorFromStatus(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	msg := st.Message()
	for _, d := range st.Details() {
		detail, ok := d.(*pb.ErrorDetail)
		if !ok {
			continue
		}
		switch detail.GetKind() {
		case pb.ErrorKind_ERROR_KIND_INVALID_CONFIG:
			return &InvalidConfigError{Field: detail.GetField(), Message: trimPrefix(msg, "invalid config: ")}
		case pb.ErrorKind_ERROR_KIND_UNAUTHENTICATED:
			return &UnauthenticatedError{Message: trimPrefix(msg, "unauthenticated: ")}
		case pb.ErrorKind_ERROR_KIND_PERMISSION_DENIED:
			return &PermissionDeniedError{Permission: detail.GetPermission(), Message: msg}
		case pb.ErrorKind_ERROR_KIND_RETRY_AFTER:
			wait := detail.GetRetryAfter().AsDuration()
			if wait <= 0 {
				wait = DefaultRetryAfter
			}
			return &RetryAfterError{Err: remoteError(msg), Wait: wait}
		case pb.ErrorKind_ERROR_KIND_NOT_SUPPORTED:
			return &NotSupportedError{What: trimPrefix(msg, "not supported: ")}
		}
	}
	if st.Code() == codes.Unimplemented {
		return &NotSupportedError{What: msg}
	}
	return err
}

type remoteError string

func (e remoteError) Error() string { return string(e) }

func trimPrefix(s, p string) string {
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}
