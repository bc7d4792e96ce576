package deploy

import (
	"maps"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Certificate is the part of cert-manager.io/v1 Certificate (cert-manager v1.x API) that the chart renders,
// field for field. It is registered in Scheme so that strict decoding refuses any other field (a typo, or one
// the chart should not set) as it does for the built-in kinds; importing cert-manager itself would pull in
// its controllers' dependencies.
type Certificate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              CertificateSpec `json:"spec"`
}

// CertificateSpec mirrors cert-manager's CertificateSpec fields used by the chart.
type CertificateSpec struct {
	SecretName     string                     `json:"secretName"`
	SecretTemplate *CertificateSecretTemplate `json:"secretTemplate,omitempty"`
	CommonName     string                     `json:"commonName,omitempty"`
	DNSNames       []string                   `json:"dnsNames,omitempty"`
	Usages         []string                   `json:"usages,omitempty"`
	Duration       *metav1.Duration           `json:"duration,omitempty"`
	RenewBefore    *metav1.Duration           `json:"renewBefore,omitempty"`
	PrivateKey     *CertificatePrivateKey     `json:"privateKey,omitempty"`
	IssuerRef      IssuerReference            `json:"issuerRef"`
}

// CertificateSecretTemplate is what cert-manager copies onto the Secret it writes.
type CertificateSecretTemplate struct {
	Annotations map[string]string `json:"annotations,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
}

// CertificatePrivateKey says how the key is made and when it is replaced.
type CertificatePrivateKey struct {
	Algorithm      string `json:"algorithm,omitempty"`
	Size           int    `json:"size,omitempty"`
	RotationPolicy string `json:"rotationPolicy,omitempty"`
}

// IssuerReference names the Issuer or ClusterIssuer.
type IssuerReference struct {
	Name  string `json:"name"`
	Kind  string `json:"kind,omitempty"`
	Group string `json:"group,omitempty"`
}

// DeepCopyObject implements runtime.Object.
func (c *Certificate) DeepCopyObject() k8sruntime.Object {
	out := *c
	c.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
	out.Spec.DNSNames = slices.Clone(c.Spec.DNSNames)
	out.Spec.Usages = slices.Clone(c.Spec.Usages)
	if c.Spec.SecretTemplate != nil {
		t := CertificateSecretTemplate{Annotations: maps.Clone(c.Spec.SecretTemplate.Annotations), Labels: maps.Clone(c.Spec.SecretTemplate.Labels)}
		out.Spec.SecretTemplate = &t
	}
	for _, d := range []**metav1.Duration{&out.Spec.Duration, &out.Spec.RenewBefore} {
		if *d != nil {
			v := **d
			*d = &v
		}
	}
	if c.Spec.PrivateKey != nil {
		k := *c.Spec.PrivateKey
		out.Spec.PrivateKey = &k
	}
	return &out
}

// addCertManager registers Certificate under cert-manager.io/v1.
func addCertManager(s *k8sruntime.Scheme) error {
	gv := schema.GroupVersion{Group: "cert-manager.io", Version: "v1"}
	s.AddKnownTypes(gv, &Certificate{})
	metav1.AddToGroupVersion(s, gv)
	return nil
}
